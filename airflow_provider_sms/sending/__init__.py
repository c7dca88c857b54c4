"""The engine behind :class:`~airflow_provider_sms.operators.send.SmsSendOperator`: the retry journal,
bounded fan-out with one early-stop rule, batch outcomes, and reconciliation of unknown outcomes."""
