"""The toolkit the engines share: bounded fan-out with one early-stop rule, throughput limits,
progress lines, the task-scoped durable store, and Airflow metrics."""
