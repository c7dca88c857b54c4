"""The provider's FastAPI app, mounted by Airflow's api-server under :data:`URL_PREFIX`."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from airflow_provider_sms.plugins.ui import router as ui_router
from airflow_provider_sms.plugins.webhook import router as webhook_router

#: Where the api-server serves the app.
URL_PREFIX = "/sms"

#: Every router the app serves; each feature module adds its own.
ROUTERS: tuple[APIRouter, ...] = (ui_router, webhook_router)


def create_app() -> FastAPI:
    """Build the app with every router of :data:`ROUTERS`."""
    app = FastAPI(title="SMS provider", docs_url=None, redoc_url=None, openapi_url=None)
    for router in ROUTERS:
        app.include_router(router)
    return app
