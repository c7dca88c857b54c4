"""The plugin Airflow loads through the provider's ``plugins`` metadata."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from airflow_provider_sms.plugins.app import URL_PREFIX, create_app


class SmsPlugin(AirflowPlugin):
    """Serves the provider's app in the api-server."""

    name = "sms"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "SMS"}]
