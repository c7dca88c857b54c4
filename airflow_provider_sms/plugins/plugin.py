"""The plugin Airflow loads through the provider's ``plugins`` metadata."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from airflow_provider_sms.plugins.app import URL_PREFIX, create_app
from airflow_provider_sms.plugins.ui import external_views as sms_views


class SmsPlugin(AirflowPlugin):
    """Serves the provider's app in the api-server; on Airflow 3.1+ its SMS views are tabs of the
    task instance and of the DAG run (Airflow 3.0 ignores ``external_views``)."""

    name = "sms"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "SMS"}]
    external_views = sms_views(URL_PREFIX)
