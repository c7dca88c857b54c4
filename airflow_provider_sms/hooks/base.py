"""What both gateway hooks share: connection settings, HTTP transport, safe retries, error mapping.

A vendor hook only describes its endpoints (:class:`Call` builders and response parsers) and its
error-code table; sending, retrying, timing out, logging and turning replies into typed exceptions
happen here once, for the sync (``requests``) and the async (``aiohttp``) transports alike.

Retry rules (the point of this module):

* a call marked ``idempotent`` (reads, list edits that are harmless to repeat) is retried with capped
  exponential backoff on connection failures, timeouts, HTTP 5xx and 429 (honouring ``Retry-After``);
* a **send** (``idempotent=False``) is retried only when the gateway provably did not act on it: the
  TCP connection could not be opened, or it answered 429. A read timeout, a dropped connection after
  the request left, or a 5xx raise :class:`~airflow_provider_sms.exceptions.SmsOutcomeUnknownError`
  at once, because the SMS may already be on its way.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import requests
from airflow.sdk import BaseHook
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsConfigurationError,
    SmsGatewayError,
    SmsInvalidRequestError,
    SmsNotFoundError,
    SmsOutcomeUnknownError,
    SmsRateLimitError,
    SmsRecipientBlacklistedError,
    SmsServerError,
    SmsValidationError,
)
from airflow_provider_sms.message import mask_number
from airflow_provider_sms.results import (
    LIST_TYPES,
    BlacklistEntry,
    DeliveryStatus,
    SendResult,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    import aiohttp
    from airflow.sdk import Connection

__all__ = [
    "BatchSendOutcome",
    "BlacklistEntry",
    "Call",
    "DeliveryStatus",
    "SendResult",
    "SmsHook",
]

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_MAX_ATTEMPTS = 4
MAX_BACKOFF_SECONDS = 30.0
DEFAULT_POOL_SIZE = 32

_PHONE_LIKE = re.compile(r"\+?\d[\d .-]{6,}\d")


@dataclass(frozen=True)
class Call:
    """One HTTP request to a gateway, described without credentials.

    :param method: HTTP method.
    :param path: path below the host, starting with the API version (``/v2/account/stats``).
    :param params: query-string parameters.
    :param body: JSON body.
    :param idempotent: whether repeating the request is harmless (see module docstring).
    :param operation: what the call does, for error messages (``"send an SMS"``).
    """

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    idempotent: bool = True
    operation: str = "call the gateway"


@dataclass(frozen=True)
class ConnectionSettings:
    """What a hook needs from its Airflow connection, parsed once."""

    conn_id: str
    base_url: str
    api_key: str
    sender: str | None
    timeout: tuple[float, float]
    extra: Mapping[str, Any]


@dataclass
class BatchSendOutcome:
    """Result of one send request that may cover several recipients.

    :param sent: one :class:`SendResult` per accepted recipient.
    :param blacklisted: E.164 numbers the gateway refused because they are on a STOP or bounce
        list; nothing was sent to them.
    """

    sent: list[SendResult] = field(default_factory=list)
    blacklisted: list[str] = field(default_factory=list)


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
    except (TypeError, ValueError):
        raise SmsConfigurationError(
            f"Connection '{conn_id}': extra '{name}' must be a number of seconds."
        ) from None
    if number <= 0:
        raise SmsConfigurationError(f"Connection '{conn_id}': extra '{name}' must be positive.")
    return number


def build_settings(
    conn: Connection,
    *,
    default_host: str,
    api_prefix: str,
    timeout: float | None = None,
) -> ConnectionSettings:
    """Parse an Airflow connection into :class:`ConnectionSettings`.

    Host precedence: the connection's host (a bare name or a full URL, port from the port field),
    else ``default_host``. Scheme: the URL's, else the connection's ``schema`` field when it is
    ``http``/``https``, else https. A plain-http host is refused unless it is loopback.
    Timeout precedence: hook argument, then the ``timeout`` extra (read timeout, seconds), then 30 s.
    """
    conn_id = conn.conn_id or "<unnamed>"
    if not conn.password:
        raise SmsConfigurationError(
            f"Connection '{conn_id}' has no API key: put it in the connection's password field."
        )
    extra = conn.extra_dejson or {}
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
    return ConnectionSettings(
        conn_id=conn_id,
        base_url=f"{parts.scheme}://{netloc}{path}",
        api_key=conn.password,
        sender=str(sender) if sender else None,
        timeout=(min(DEFAULT_CONNECT_TIMEOUT, read_timeout), read_timeout),
        extra=extra,
    )


def scrub(text: object, secret: str | None = None) -> str:
    """Return ``text`` with phone-number-like runs masked and ``secret`` removed (for errors/logs)."""
    result = str(text)
    if secret:
        result = result.replace(secret, "***")
    return _PHONE_LIKE.sub(lambda m: mask_number(m.group(0)), result)


def parse_json(text: str) -> Any:
    """Parse a reply body; an empty body is ``None``; non-JSON is returned as ``{"raw": ...}``."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return {"raw": text[:200]}


def parse_code(value: Any) -> int | None:
    """Read a vendor error code given as an int or a digit string."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def parse_retry_after(value: str | None) -> float | None:
    """Read a ``Retry-After`` header given in seconds (HTTP dates are ignored)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class _RedactSecrets(logging.Filter):
    """Remove API keys from HTTP-library log records (urllib3 logs request URLs at DEBUG, and SMS
    Partner puts the key in the query string). Airflow's own masker covers task logs; this covers
    every other handler too."""

    secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            if any(secret in text for secret in self.secrets):
                for secret in self.secrets:
                    text = text.replace(secret, "***")
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


def _wait_seconds(state: RetryCallState) -> float:
    """Backoff: the gateway's ``Retry-After`` when given, else 0.5 s doubling; capped."""
    exc = state.outcome.exception() if state.outcome else None
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        return min(float(retry_after), MAX_BACKOFF_SECONDS)
    return min(0.5 * 2 ** (state.attempt_number - 1), MAX_BACKOFF_SECONDS)


class _RetryableTransportError(SmsServerError):
    """Internal: the connection could not be opened, so the request never reached the gateway."""


class SmsHook(BaseHook):
    """Base of :class:`PrimotextoHook` and :class:`SmsPartnerHook`: one interface for both gateways.

    Nothing is fetched at construction: the connection is read on the first call.

    :param sms_conn_id: the Airflow connection id.
    :param timeout: read timeout in seconds (overrides the connection's ``timeout`` extra).
    :param max_attempts: attempts for a call that is safe to repeat (1 = no retry).
    :param pool_size: HTTP keep-alive connections kept per hook (bulk sends use several threads).
    """

    conn_name_attr = "sms_conn_id"
    default_conn_name: ClassVar[str]
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]
    #: Host used when the connection leaves it empty.
    default_host: ClassVar[str]
    #: Path prefix of the API version (``/v2`` or ``/v1``).
    api_prefix: ClassVar[str]
    #: How many recipients one send request may carry.
    max_recipients_per_send: ClassVar[int] = 1
    #: Blacklist kinds the gateway has.
    list_types: ClassVar[tuple[str, ...]] = LIST_TYPES
    #: Vendor error code -> (exception class, meaning). Filled by each gateway.
    error_codes: ClassVar[dict[int, tuple[type[SmsGatewayError], str]]] = {}

    def __init__(
        self,
        sms_conn_id: str | None = None,
        *,
        timeout: float | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        pool_size: int = DEFAULT_POOL_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sms_conn_id = sms_conn_id or self.default_conn_name
        self.timeout = timeout
        self.max_attempts = max(1, int(max_attempts))
        self.pool_size = pool_size
        self._session_lock = threading.Lock()

    # ------------------------------------------------------------------ connection
    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Connection form: the API key is the password; login, schema and port are hidden."""
        return {
            "hidden_fields": ["login", "schema", "port"],
            "relabeling": {"password": "API key", "host": "API host (optional)"},
            "placeholders": {"host": cls.default_host},
        }

    @cached_property
    def settings(self) -> ConnectionSettings:
        """The parsed connection (looked up on first use)."""
        return self._settings_from(self.get_connection(self.sms_conn_id))

    async def aget_settings(self) -> ConnectionSettings:
        """The parsed connection, looked up without blocking the event loop (triggers)."""
        if "settings" not in self.__dict__:
            from airflow.providers.common.compat.connection import get_async_connection

            self.__dict__["settings"] = self._settings_from(await get_async_connection(self.sms_conn_id))
        return self.settings

    def _settings_from(self, conn: Connection) -> ConnectionSettings:
        if conn.conn_type and conn.conn_type != self.conn_type:
            raise SmsConfigurationError(
                f"Connection '{self.sms_conn_id}' has type '{conn.conn_type}', "
                f"but {type(self).__name__} needs '{self.conn_type}'."
            )
        settings = build_settings(
            conn, default_host=self.default_host, api_prefix=self.api_prefix, timeout=self.timeout
        )
        redact_in_logs(settings.api_key)
        return settings

    def get_conn(self) -> requests.Session:
        """Return the pooled HTTP session (created on first use)."""
        return self.session

    @cached_property
    def session(self) -> requests.Session:
        """A keep-alive ``requests`` session with ``pool_size`` connections and no hidden retries."""
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=self.pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def close(self) -> None:
        """Close pooled connections."""
        if "session" in self.__dict__:
            self.__dict__.pop("session").close()

    # ------------------------------------------------------------------ vendor hooks (overridden)
    def _authenticate(
        self, call: Call, api_key: str
    ) -> tuple[dict[str, str], dict[str, Any], dict[str, Any] | None]:
        """Return headers, query params and body with the API key placed where the vendor wants it."""
        raise NotImplementedError

    def _vendor_error(self, http_status: int, payload: Any) -> tuple[int | None, str | None] | None:
        """Return ``(code, vendor message)`` when ``payload`` is an error reply, else ``None``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ error mapping
    def error_for(
        self,
        call: Call,
        http_status: int | None,
        code: int | None,
        vendor_message: str | None,
        retry_after: float | None = None,
    ) -> SmsGatewayError:
        """Build the typed exception for a refused call (HTTP status and vendor code both count)."""
        meaning = ""
        if http_status == 429:
            cls: type[SmsGatewayError] = SmsRateLimitError
            meaning = "rate limited"
        elif code is not None and code in self.error_codes:
            cls, meaning = self.error_codes[code]
        elif http_status is not None and http_status >= 500:
            cls = SmsServerError
        elif http_status in (401, 403):
            cls = SmsAuthenticationError
        elif http_status == 404:
            cls = SmsNotFoundError
        elif http_status is not None and 400 <= http_status < 500:
            cls = SmsInvalidRequestError
        else:
            cls = SmsGatewayError
        if not call.idempotent and cls is SmsServerError:
            cls = SmsOutcomeUnknownError
        secret = self.settings.api_key if "settings" in self.__dict__ else None
        detail = ", ".join(
            part
            for part in (
                f"HTTP {http_status}" if http_status is not None else "",
                f"code {code}" if code is not None else "",
                meaning,
                scrub(vendor_message, secret) if vendor_message else "",
            )
            if part
        )
        text = f"{self.hook_name} could not {call.operation} (connection '{self.sms_conn_id}'): {detail}"
        if cls is SmsOutcomeUnknownError:
            text += "; the gateway may have accepted it, so it is not retried automatically"
        return cls(
            text,
            http_status=http_status,
            code=code,
            vendor_message=scrub(vendor_message, secret) if vendor_message else None,
            retry_after=retry_after,
            conn_id=self.sms_conn_id,
        )

    def _check_reply(self, call: Call, status: int, headers: Mapping[str, str], text: str) -> Any:
        payload = parse_json(text)
        error = self._vendor_error(status, payload)
        if status >= 400 or error is not None:
            code, vendor_message = error if error is not None else (None, None)
            raise self.error_for(
                call, status, code, vendor_message, parse_retry_after(headers.get("Retry-After"))
            )
        return payload

    def _transport_error(self, call: Call, exc: BaseException, *, connected: bool) -> SmsGatewayError:
        """Map a transport failure; ``connected`` says whether the request may have left."""
        reason = "timed out" if isinstance(exc, (TimeoutError, requests.Timeout)) else "connection failed"
        if not connected:
            return _RetryableTransportError(
                f"{self.hook_name} could not {call.operation} (connection '{self.sms_conn_id}'): "
                f"could not connect ({type(exc).__name__})",
                conn_id=self.sms_conn_id,
            )
        cls = SmsServerError if call.idempotent else SmsOutcomeUnknownError
        text = (
            f"{self.hook_name} could not {call.operation} (connection '{self.sms_conn_id}'): "
            f"{reason} after the request was sent ({type(exc).__name__})"
        )
        if not call.idempotent:
            text += "; the gateway may have accepted it, so it is not retried automatically"
        return cls(text, conn_id=self.sms_conn_id)

    def _retryable(self, call: Call) -> Callable[[BaseException], bool]:
        def check(exc: BaseException) -> bool:
            if isinstance(exc, (_RetryableTransportError, SmsRateLimitError)):
                return True
            return call.idempotent and isinstance(exc, SmsServerError)

        return check

    def _retrying(self, call: Call, sleep: Callable[[float], Any] | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "retry": retry_if_exception(self._retryable(call)),
            "stop": stop_after_attempt(self.max_attempts),
            "wait": _wait_seconds,
            "reraise": True,
            "before_sleep": self._log_retry,
        }
        if sleep is not None:
            kwargs["sleep"] = sleep
        return kwargs

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        self.log.warning(
            "%s: attempt %d failed (%s); retrying", self.hook_name, state.attempt_number, type(exc).__name__
        )

    # ------------------------------------------------------------------ sync transport
    def call(self, call: Call) -> Any:
        """Send ``call`` and return the parsed JSON reply, retrying only where that is safe."""
        for attempt in Retrying(**self._retrying(call)):
            with attempt:
                return self._call_once(call)
        raise AssertionError("unreachable")  # pragma: no cover

    def _call_once(self, call: Call) -> Any:
        settings = self.settings
        headers, params, body = self._authenticate(call, settings.api_key)
        started = time.monotonic()
        try:
            response = self.session.request(
                call.method,
                settings.base_url + call.path,
                params=params or None,
                json=body,
                headers=headers,
                timeout=settings.timeout,
            )
        except requests.ConnectTimeout as exc:
            raise self._transport_error(call, exc, connected=False) from None
        except requests.ConnectionError as exc:
            raise self._transport_error(call, exc, connected=not _never_connected(exc)) from None
        except requests.RequestException as exc:
            raise self._transport_error(call, exc, connected=True) from None
        self.log.debug(
            "%s %s %s -> %d in %.0f ms",
            self.hook_name,
            call.method,
            call.path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return self._check_reply(call, response.status_code, response.headers, response.text)

    # ------------------------------------------------------------------ async transport
    async def acall(self, call: Call, session: aiohttp.ClientSession | None = None) -> Any:
        """Async twin of :meth:`call` (aiohttp); pass ``session`` to reuse connections."""
        settings = await self.aget_settings()
        if session is None:
            async with self.async_session() as own:
                return await self.acall(call, own)
        attempt = 0
        retryable = self._retryable(call)
        while True:
            attempt += 1
            try:
                return await self._acall_once(call, settings, session)
            except SmsGatewayError as exc:
                if attempt >= self.max_attempts or not retryable(exc):
                    raise
                delay = min(
                    exc.retry_after if exc.retry_after is not None else 0.5 * 2 ** (attempt - 1),
                    MAX_BACKOFF_SECONDS,
                )
                self.log.warning(
                    "%s: attempt %d failed (%s); retrying in %.1f s",
                    self.hook_name,
                    attempt,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)

    def async_session(self) -> aiohttp.ClientSession:
        """A new aiohttp session with this hook's timeouts and pool size (use ``async with``)."""
        import aiohttp

        connect, read = (
            self.settings.timeout
            if "settings" in self.__dict__
            else (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT)
        )
        return aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read),
            connector=aiohttp.TCPConnector(limit=self.pool_size),
        )

    async def _acall_once(
        self, call: Call, settings: ConnectionSettings, session: aiohttp.ClientSession
    ) -> Any:
        import aiohttp

        headers, params, body = self._authenticate(call, settings.api_key)
        try:
            async with session.request(
                call.method,
                settings.base_url + call.path,
                params={k: str(v) for k, v in params.items()} or None,
                json=body,
                headers=headers,
            ) as response:
                text = await response.text()
                status, reply_headers = response.status, response.headers
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise self._transport_error(call, exc, connected=False) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise self._transport_error(call, exc, connected=True) from None
        self.log.debug("%s %s %s -> %d", self.hook_name, call.method, call.path, status)
        return self._check_reply(call, status, reply_headers, text)

    # ------------------------------------------------------------------ shared public API
    def check_list_type(self, list_type: str) -> None:
        """Refuse, before any request, a list type this gateway does not have."""
        if list_type not in LIST_TYPES:
            raise SmsValidationError([f"list_type must be one of {', '.join(LIST_TYPES)}, not {list_type!r}"])
        if list_type not in self.list_types:
            raise SmsValidationError(
                [
                    f"{self.hook_name} has no '{list_type}' list (it keeps only: "
                    f"{', '.join(self.list_types)}); nothing was sent"
                ]
            )

    def send_sms(
        self,
        recipient: str,
        message: str,
        *,
        sender: str | None = None,
        campaign_name: str | None = None,
        category: str | None = None,
        send_at: datetime | str | None = None,
        marketing: bool = False,
    ) -> SendResult:
        """Send one SMS to one number; return the gateway's acceptance.

        Never retried once the request may have reached the gateway (see module docstring).

        :raises SmsRecipientBlacklistedError: the number is on a STOP or bounce list.
        :raises SmsOutcomeUnknownError: the request left but no clear reply came back.
        """
        outcome = self.send_sms_batch(
            [recipient],
            message,
            sender=sender,
            campaign_name=campaign_name,
            category=category,
            send_at=send_at,
            marketing=marketing,
        )
        if outcome.blacklisted:
            raise SmsRecipientBlacklistedError(
                f"{self.hook_name}: {mask_number(recipient)} is on a STOP or bounce list; nothing was sent",
                conn_id=self.sms_conn_id,
            )
        return outcome.sent[0]

    def send_sms_batch(
        self,
        recipients: Sequence[str],
        message: str,
        *,
        sender: str | None = None,
        campaign_name: str | None = None,
        category: str | None = None,
        send_at: datetime | str | None = None,
        marketing: bool = False,
    ) -> BatchSendOutcome:
        """Send one message to up to :attr:`max_recipients_per_send` numbers in one request."""
        raise NotImplementedError

    def get_delivery_status(
        self, message_id: str | None = None, recipient: str | None = None
    ) -> DeliveryStatus:
        """Return where one message stands."""
        raise NotImplementedError

    def get_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """Statuses of many messages (dicts with ``message_id`` and ``recipient``), batched."""
        raise NotImplementedError

    async def aget_delivery_status(
        self, message_id: str | None = None, recipient: str | None = None
    ) -> DeliveryStatus:
        """Async twin of :meth:`get_delivery_status`."""
        statuses = await self.aget_delivery_statuses([{"message_id": message_id, "recipient": recipient}])
        return statuses[0]

    async def aget_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """Async twin of :meth:`get_delivery_statuses`."""
        raise NotImplementedError

    def add_to_blacklist(self, recipient: str, list_type: str = "unsubscribers") -> bool:
        """Put a number on a list; True if added, False if it was already there."""
        raise NotImplementedError

    def remove_from_blacklist(self, recipient: str, list_type: str = "unsubscribers") -> bool:
        """Take a number off a list; True if removed, False if it was not there."""
        raise NotImplementedError

    def get_blacklist(self, list_type: str = "unsubscribers") -> list[BlacklistEntry]:
        """Every number on a list."""
        raise NotImplementedError

    def get_account_stats(self) -> dict[str, Any]:
        """Account counters and remaining credit; always has a numeric ``credits`` key."""
        raise NotImplementedError

    def test_connection(self) -> tuple[bool, str]:
        """Check the connection with a read-only call (account stats / credits); no secret in the text."""
        try:
            stats = self.get_account_stats()
        except Exception as exc:
            secret = self.settings.api_key if "settings" in self.__dict__ else None
            return False, scrub(exc, secret)
        return True, f"Connected to {self.hook_name}; credits left: {stats.get('credits')}"


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when ``requests`` failed while opening the TCP connection (nothing was sent)."""
    from urllib3.exceptions import NewConnectionError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (NewConnectionError, ConnectionRefusedError)):
            return True
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
            continue
        args = getattr(current, "args", ())
        nested = next((a for a in args if isinstance(a, BaseException)), None)
        current = nested or current.__cause__ or current.__context__
    return False
