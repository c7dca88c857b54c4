"""The provider's Airflow plugin: a web app served by the api-server (views, the webhook)."""
