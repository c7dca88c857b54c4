"""Gateway rules without a server: hooks built from in-memory connections, and shorthands that take
a connection type the way the rule tests are written (``vendor="primotexto"``).

No request is ever made: the host is a closed loopback port.
"""

from __future__ import annotations

import json
from typing import Any

from airflow.sdk import Connection

from airflow_provider_sms.hooks import hook_class_for
from airflow_provider_sms.hooks.base import SmsHook


def gateway(vendor: str | None, **extra: Any) -> SmsHook:
    """The hook of connection type ``vendor`` with ``extra``, settings parsed (no request)."""
    conn = Connection(
        conn_id=f"rules_{vendor}",
        conn_type=vendor,
        host="http://127.0.0.1:9",
        password="rules-key",
        extra=json.dumps(extra),
    )
    return hook_class_for(vendor, conn.conn_id).from_connection(conn)


def message_problems(text: object, vendor: str, *, low_cost: bool = False) -> list[str]:
    """What ``vendor`` refuses in ``text`` (``low_cost``: SMS Partner's ``gamme`` 2)."""
    return gateway(vendor, **({"gamme": 2} if low_cost else {})).message_problems(text)


def validate_send(recipients: Any, message: Any, *, vendor: str, low_cost: bool = False, **kwargs: Any):
    """:meth:`SmsHook.validate_send` on a ``vendor`` connection."""
    hook = gateway(vendor, **({"gamme": 2} if low_cost else {}))
    return hook.validate_send(recipients, message, **kwargs)
