"""Gateway hooks, and the lookup that picks one from a connection's type.

Operators, the sensor and the notifier take one ``sms_conn_id``; :func:`get_sms_hook` reads the
connection once and returns the hook of its type, so the same DAG code runs on either gateway.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import SmsConfigurationError
from airflow_provider_sms.get_provider_info import get_provider_info

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_provider_sms.hooks.base import SmsHook

#: Connection type -> hook class path, from the provider's metadata (the one registry of gateways).
HOOK_CLASSES: dict[str, str] = {
    entry["connection-type"]: entry["hook-class-name"] for entry in get_provider_info()["connection-types"]
}


def hook_class_for(conn_type: str | None, conn_id: str = "") -> type[SmsHook]:
    """Return the hook class serving ``conn_type``; a clear error for any other type."""
    path = HOOK_CLASSES.get(conn_type or "")
    if path is None:
        raise SmsConfigurationError(
            f"Connection '{conn_id}' has type '{conn_type}'; SMS operators need one of: "
            f"{', '.join(sorted(HOOK_CLASSES))}."
        )
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def _hook_for(conn: Connection, sms_conn_id: str, hook_kwargs: dict[str, Any]) -> SmsHook:
    return hook_class_for(conn.conn_type, sms_conn_id).from_connection(conn, sms_conn_id, **hook_kwargs)


def get_sms_hook(sms_conn_id: str, **hook_kwargs: Any) -> SmsHook:
    """Read connection ``sms_conn_id`` and return the matching hook, settings already parsed."""
    from airflow.providers.common.compat.sdk import BaseHook

    return _hook_for(BaseHook.get_connection(sms_conn_id), sms_conn_id, hook_kwargs)


async def aget_sms_hook(sms_conn_id: str, **hook_kwargs: Any) -> SmsHook:
    """Async twin of :func:`get_sms_hook` for triggers (non-blocking connection lookup)."""
    from airflow_provider_sms.hooks.settings import aget_connection

    return _hook_for(await aget_connection(sms_conn_id), sms_conn_id, hook_kwargs)
