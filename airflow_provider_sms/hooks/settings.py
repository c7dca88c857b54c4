"""Connection settings of the SMS hooks: parse an Airflow connection once, refuse unsafe ones, and keep
the API key out of every log."""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from airflow_provider_sms.exceptions import SmsConfigurationError
from airflow_provider_sms.rules.numbers import mask_numbers_in
from airflow_provider_sms.rules.request import sender_problems

if TYPE_CHECKING:
    from collections.abc import Mapping

    from airflow.sdk import Connection

#: The header carrying a connection's ``webhook_secret`` to the provider's own webhook reads.
WEBHOOK_SECRET_HEADER = "X-SMS-Webhook-Secret"

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0


@dataclass(frozen=True)
class ConnectionSettings:
    """What a hook needs from its Airflow connection, parsed once.

    A gateway whose connection has extras of its own subclasses this, adds typed fields, and
    parses them in :meth:`parse_extra`.

    :param max_in_flight: default requests in flight of every operator on this connection.
    :param max_per_second: default messages-per-second ceiling of every operator on it.
    :param webhook_secret: the secret of the provider's reply webhook for this connection (gateways
        with ``replies_by_webhook``; ``hooks/webhook_link.py``).
    :param public_base_url: where the gateway and the workers reach the api-server serving it.
    """

    #: Extras this settings type reads (others are ignored).
    known_extras: ClassVar[tuple[str, ...]] = ("sender", "timeout", "max_in_flight", "max_per_second")

    conn_id: str
    base_url: str
    api_key: str
    sender: str | None
    timeout: tuple[float, float]
    max_in_flight: int | None = None
    max_per_second: float | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    public_base_url: str | None = None

    @classmethod
    def parse_extra(cls, extra: Mapping[str, Any], conn_id: str) -> dict[str, Any]:
        """The gateway's own typed fields from the connection's extras.

        :raises SmsConfigurationError: naming the extra that is wrong.
        """
        return {}


def extra_error(conn_id: str, name: str, problem: str) -> SmsConfigurationError:
    """The error for a bad connection extra, naming the connection and the field."""
    return SmsConfigurationError(f"Connection '{conn_id}': extra '{name}' {problem}.")


def parse_flag(extra: Mapping[str, Any], name: str, conn_id: str) -> bool:
    """A boolean extra given as ``true``/``false``, ``1``/``0``, ``"yes"``/``"no"``, or missing."""
    value = extra.get(name)
    if value in (None, ""):
        return False
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise extra_error(conn_id, name, f"must be true or false, not {str(value)[:20]!r}")


def parse_throughput(extra: Mapping[str, Any], conn_id: str) -> dict[str, Any]:
    """The ``max_in_flight`` (integer, 1 to 1000) and ``max_per_second`` (number above 0) extras."""
    found: dict[str, Any] = {"max_in_flight": None, "max_per_second": None}
    for name, integer in (("max_in_flight", True), ("max_per_second", False)):
        raw = extra.get(name)
        if raw in (None, ""):
            continue
        try:
            number = math.nan if isinstance(raw, bool) else float(str(raw).strip())
        except ValueError:
            number = math.nan
        if integer and not (number.is_integer() and 1 <= number <= 1000):
            raise extra_error(conn_id, name, f"must be an integer from 1 to 1000, not {str(raw)[:20]!r}")
        if not integer and not (math.isfinite(number) and number > 0):
            raise extra_error(conn_id, name, f"must be a number of messages above 0, not {str(raw)[:20]!r}")
        found[name] = int(number) if integer else number
    return found


def is_loopback(hostname: str) -> bool:
    """Return True for ``localhost`` and loopback IP addresses."""
    if hostname.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def _as_float(value: Any, name: str, conn_id: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise extra_error(conn_id, name, "must be a number of seconds") from None
    if not 0 < number < 3600:
        raise extra_error(conn_id, name, "must be between 0 and 3600 seconds")
    return number


def build_settings(
    conn: Connection,
    *,
    default_host: str,
    api_prefix: str,
    timeout: float | None = None,
    settings_class: type[ConnectionSettings] = ConnectionSettings,
) -> ConnectionSettings:
    """Parse an Airflow connection into :class:`ConnectionSettings`.

    Host precedence: the connection's host (a bare name or a full URL, port from the port field),
    else ``default_host``. Scheme: the URL's, else the connection's ``schema`` field when it is
    ``http``/``https``, else https. A plain-http host is refused unless it is loopback.
    Timeout precedence: hook argument, then the ``timeout`` extra (read timeout, seconds), then 30 s.
    The ``sender`` extra follows the sender rules; ``settings_class`` parses the gateway's own extras.

    :raises SmsConfigurationError: naming the connection and the field at fault.
    """
    conn_id = conn.conn_id or "<unnamed>"
    if not conn.password:
        raise SmsConfigurationError(
            f"Connection '{conn_id}' has no API key: put it in the connection's password field."
        )
    extra = conn.extra_dejson or {}
    if not isinstance(extra, dict):
        raise SmsConfigurationError(f"Connection '{conn_id}': extra must be a JSON object.")
    raw_host = (conn.host or "").strip() or default_host
    if "://" not in raw_host:
        scheme = conn.schema if conn.schema in ("http", "https") else "https"
        raw_host = f"{scheme}://{raw_host}"
    parts = urlsplit(raw_host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SmsConfigurationError(f"Connection '{conn_id}': host '{raw_host}' is not an http(s) URL.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise SmsConfigurationError(
            f"Connection '{conn_id}': plain http is only allowed to a loopback host (the emulator); "
            f"use https for '{parts.hostname}' so the API key never crosses a network in clear."
        )
    netloc = parts.netloc
    if conn.port and parts.port is None:
        netloc = f"{netloc}:{conn.port}"
    path = parts.path.rstrip("/")
    if path.endswith(api_prefix):
        path = path[: -len(api_prefix)]
    read_timeout = (
        float(timeout)
        if timeout is not None
        else _as_float(extra["timeout"], "timeout", conn_id)
        if extra.get("timeout") not in (None, "")
        else DEFAULT_READ_TIMEOUT
    )
    sender = extra.get("sender") or None
    problems = sender_problems(sender)
    if problems:
        raise extra_error(conn_id, "sender", "is unusable: " + "; ".join(problems))
    return settings_class(
        conn_id=conn_id,
        base_url=f"{parts.scheme}://{netloc}{path}",
        api_key=conn.password,
        sender=sender,
        timeout=(min(DEFAULT_CONNECT_TIMEOUT, read_timeout), read_timeout),
        **parse_throughput(extra, conn_id),
        **settings_class.parse_extra(extra, conn_id),
    )


class _RedactSecrets(logging.Filter):
    """Remove API keys and phone numbers from HTTP-library log records: urllib3 logs request URLs
    at DEBUG, and SMS Partner puts the key and the numbers in query strings. Airflow's own masker
    covers the key in task logs; this covers every other handler, and the numbers everywhere."""

    secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        original = record.getMessage()
        text = original
        for secret in self.secrets:
            text = text.replace(secret, "***")
        text = mask_numbers_in(text)
        if text != original:
            record.msg, record.args = text, None
        return True


_REDACTOR = _RedactSecrets()
for _name in ("urllib3.connectionpool", "urllib3.util.retry", "aiohttp.client"):
    logging.getLogger(_name).addFilter(_REDACTOR)


def redact_in_logs(secret: str) -> None:
    """Register ``secret`` with Airflow's masker and with the HTTP-library log filter."""
    _RedactSecrets.secrets.add(secret)
    try:
        from airflow.sdk.log import mask_secret

        mask_secret(secret)
    except ImportError:  # pragma: no cover - older task SDK
        pass


async def aget_connection(conn_id: str) -> Connection:
    """Look a connection up without blocking the event loop (triggers, async notifiers).

    ``common.compat``'s helper works around the task SDK's masking deadlock before Airflow 3.3.2.
    """
    from airflow.providers.common.compat.connection import get_async_connection

    return await get_async_connection(conn_id)
