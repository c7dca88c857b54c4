"""HTTP transport shared by both gateway hooks: requests described as :class:`Call`, sent with
``requests`` or ``aiohttp``, retried only where that is safe, and replies turned into typed errors.

Retry rules (the point of this module):

* a call marked ``idempotent`` (reads, list edits that are harmless to repeat) is retried with capped
  exponential backoff on connection failures, timeouts, HTTP 5xx and 429 (honouring ``Retry-After``);
* a **send** (``idempotent=False``) is retried only when the gateway provably did not act on it: the
  TCP connection could not be opened, or it answered 429. A read timeout, a dropped connection after
  the request left, or a 5xx raise :class:`~airflow_provider_sms.exceptions.SmsOutcomeUnknownError`
  at once, because the SMS may already be on its way.

Both paths share everything but the HTTP library: :func:`build_request` (method, URL, query, body and
headers, with the key placed by the hook's ``_authenticate``), the error mapping (``_check_reply``,
``_transport_error``, :meth:`GatewayTransport.error_for`) and one
:class:`~airflow_provider_sms.hooks.retry.RetryPolicy` (0.5 s doubling, capped at 30 s) from which
tenacity's ``Retrying`` and ``AsyncRetrying`` are built. Errors are raised ``from None``, so no
exception context carries a URL holding a key.

Every reply's ``Date`` header (errors included, on both paths) is handed to the hook's
:class:`~airflow_provider_sms.hooks.gateway_clock.GatewayClock` with the local times the request
left and its reply arrived: how the gateway's clock is measured.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_sms.exceptions import SmsGatewayError, SmsOutcomeUnknownError, SmsServerError
from airflow_provider_sms.hooks import reply_values
from airflow_provider_sms.hooks.retry import (
    DEFAULT_MAX_ATTEMPTS as DEFAULT_MAX_ATTEMPTS,
    MAX_BACKOFF_SECONDS as MAX_BACKOFF_SECONDS,
    NotSentError,
    RetryPolicy,
    classify_reply,
    parse_retry_after as parse_retry_after,
    request_left,
)
from airflow_provider_sms.hooks.settings import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    WEBHOOK_SECRET_HEADER,
)
from airflow_provider_sms.rules.numbers import mask_numbers_in
from airflow_provider_sms.toolkit import metrics

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import aiohttp
    import requests

    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.hooks.settings import ConnectionSettings

DEFAULT_POOL_SIZE = 32

_MAYBE_SENT = reply_values.MAYBE_SENT


@dataclass(frozen=True)
class Call:
    """One HTTP request to a gateway, described without credentials.

    :param method: HTTP method.
    :param path: path below the host, starting with the API version (``/v2/account/stats``).
    :param params: query-string parameters.
    :param body: JSON body.
    :param idempotent: whether repeating the request is harmless (see module docstring).
    :param operation: what the call does, for error messages (``"send an SMS"``).
    :param base_url: a service of the provider's own instead of the gateway (its reply webhook in
        the api-server): the call carries the connection's ``webhook_secret`` in a header and never
        the gateway's API key, and its reply does not measure the gateway's clock.
    """

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    idempotent: bool = True
    operation: str = "call the gateway"
    base_url: str | None = None


@dataclass(frozen=True)
class HttpRequest:
    """A :class:`Call` ready for the wire, key included (so ``repr`` shows only method and URL)."""

    method: str
    url: str
    params: list[tuple[str, str]] = field(default_factory=list, repr=False)
    json: dict[str, Any] | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    def options(self) -> dict[str, Any]:
        """Keyword arguments of ``requests``' and ``aiohttp``'s ``session.request``."""
        return {"params": self.params or None, "json": self.json, "headers": self.headers}


def build_request(
    call: Call,
    settings: ConnectionSettings,
    authenticate: Callable[[Call, str], tuple[dict[str, str], dict[str, Any], dict[str, Any] | None]],
) -> HttpRequest:
    """Turn ``call`` into what both HTTP libraries send; ``authenticate`` places the API key.

    Query values are sent as text, ``None`` left out (what ``requests`` does; aiohttp wants text).
    """
    if call.base_url is None:
        headers, params, body = authenticate(call, settings.api_key)
    else:  # the provider's own webhook: its secret, never the gateway's key
        headers, params, body = {WEBHOOK_SECRET_HEADER: settings.webhook_secret or ""}, call.params, call.body
    pairs = [(key, str(value)) for key, value in params.items() if value is not None]
    base = settings.base_url if call.base_url is None else call.base_url
    return HttpRequest(call.method, base + call.path, pairs, body, dict(headers))


def scrub(text: object, secret: str | None = None) -> str:
    """Return ``text`` with phone-number-like runs masked and ``secret`` removed (for errors/logs)."""
    result = str(text)
    if secret:
        result = result.replace(secret, "***")
    return mask_numbers_in(result)


#: Parse a reply body; an empty body is ``None``; a body that is not JSON is ``NOT_JSON``.
parse_json = reply_values.read_json


#: Read a vendor error code given as an int, a digit string or an integral float (``10.0``).
parse_code = reply_values.count_of


class GatewayTransport:
    """The HTTP side of one hook: sends :class:`Call` objects with ``requests`` or aiohttp.

    Composed into :class:`~airflow_provider_sms.hooks.base.SmsHook` (``hook.transport``). The hook
    provides the connection (``settings`` / ``aget_settings``), where the key goes
    (``_authenticate``), how an error reply looks (``_vendor_error``, ``error_codes``) and the
    retry and pool options.
    """

    #: Guards session creation and closing; class-level, so a transport never holds a lock that
    #: would stop its hook from being copied or pickled. Held only for a moment.
    _session_guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, hook: SmsHook) -> None:
        self.hook = hook

    @property
    def session(self) -> requests.Session:
        """A keep-alive ``requests`` session with ``pool_size`` connections and no hidden retries.

        Created once per hook, even when many threads ask for it at the same time.
        """
        session = self.__dict__.get("_http_session")
        if session is None:
            with GatewayTransport._session_guard:
                session = self.__dict__.get("_http_session")
                if session is None:
                    import requests  # here, not at module level: it adds ~45 ms to importing a DAG
                    from requests.adapters import HTTPAdapter

                    session = requests.Session()
                    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=self.hook.pool_size, max_retries=0)
                    session.mount("https://", adapter)
                    session.mount("http://", adapter)
                    self.__dict__["_http_session"] = session
        return session

    def close(self) -> None:
        """Close pooled connections (safe to call twice, or before any request)."""
        with GatewayTransport._session_guard:
            session = self.__dict__.pop("_http_session", None)
        if session is not None:
            session.close()

    # ------------------------------------------------------------------ retry policy
    def retry_policy(self, call: Call) -> RetryPolicy:
        """The :class:`RetryPolicy` of ``call`` on this hook (both transports use it)."""
        return RetryPolicy(
            max_attempts=self.hook.max_attempts,
            idempotent=call.idempotent,
            label=self.hook.hook_name,
            log=self.hook.log,
            metric_tags=(self.hook.conn_type, self.hook.sms_conn_id),
        )

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
        cls, meaning = classify_reply(http_status, code, self.hook.error_codes, idempotent=call.idempotent)
        if not call.idempotent and cls is SmsGatewayError:  # no known code nor telling status:
            cls, meaning = SmsOutcomeUnknownError, "failed without a known error code"  # maybe acted on
        secret = self.hook.settings.api_key if "settings" in self.hook.__dict__ else None
        vendor_text = scrub(vendor_message, secret) if vendor_message else None
        if vendor_text and meaning:  # say it once, in its fuller form
            if vendor_text.lower() in meaning.lower():
                vendor_text = None
            elif meaning.lower() in vendor_text.lower():
                meaning = ""
        detail = ", ".join(
            part
            for part in (
                f"HTTP {http_status}" if http_status is not None else "",
                f"code {code}" if code is not None else "",
                meaning,
                vendor_text or "",
            )
            if part
        )
        text = f"{self._failed(call)}: {detail}"
        if cls is SmsOutcomeUnknownError:
            text += _MAYBE_SENT
        return cls(
            text,
            http_status=http_status,
            code=code,
            vendor_message=vendor_text,
            retry_after=retry_after,
            conn_id=self.hook.sms_conn_id,
        )

    def _failed(self, call: Call) -> str:
        return f"{self.hook.hook_name} could not {call.operation} (connection '{self.hook.sms_conn_id}')"

    def unusable_reply(self, call: Call, what: str, http_status: int | None = None) -> SmsGatewayError:
        """A reply neither a refusal nor the documented success (see :func:`reply_values.unusable`)."""
        name, conn_id, send = self.hook.hook_name, self.hook.sms_conn_id, not call.idempotent
        return reply_values.unusable(name, call.operation, what, conn_id, http_status, send)

    def _check_reply(self, call: Call, status: int, headers: Mapping[str, str], text: str) -> Any:
        payload = parse_json(text)
        error = self.hook._vendor_error(status, payload)
        if status >= 400 or error is not None:
            code, vendor_message = error if error is not None else (None, None)
            raise self.error_for(
                call, status, code, vendor_message, parse_retry_after(headers.get("Retry-After"))
            )
        if reply_values.unreadable(payload, status, call.method):  # a proxy's page, a cut-off reply
            raise self.unusable_reply(call, reply_values.body_kind(text), status)
        return payload

    def _transport_error(self, call: Call, exc: BaseException, *, connected: bool) -> SmsGatewayError:
        """Map a transport failure; ``connected`` says whether the request may have left."""
        if not connected:
            text = f"{self._failed(call)}: could not connect ({type(exc).__name__})"
            return NotSentError(text, conn_id=self.hook.sms_conn_id)
        import requests

        reason = "timed out" if isinstance(exc, (TimeoutError, requests.Timeout)) else "connection failed"
        text = f"{self._failed(call)}: {reason} after the request was sent ({type(exc).__name__})"
        if not call.idempotent:
            return SmsOutcomeUnknownError(text + _MAYBE_SENT, conn_id=self.hook.sms_conn_id)
        return SmsServerError(text, conn_id=self.hook.sms_conn_id)

    def _log_reply(self, call: Call, status: int, started: float) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        metrics.timing(
            "request.latency", elapsed_ms, gateway=self.hook.conn_type, conn_id=self.hook.sms_conn_id
        )
        self.hook.log.debug(
            "%s %s %s -> %d in %.0f ms", self.hook.hook_name, call.method, call.path, status, elapsed_ms
        )

    # ------------------------------------------------------------------ sync transport (requests)
    def call(self, call: Call) -> Any:
        """Send ``call`` and return the parsed JSON reply, retrying only where that is safe."""
        request = build_request(call, self.hook.settings, self.hook._authenticate)
        timeout = self.hook.settings.timeout
        for attempt in self.retry_policy(call).retrying():
            with attempt:
                return self._call_once(call, request, timeout)
        raise AssertionError("unreachable")  # pragma: no cover

    def _call_once(self, call: Call, request: HttpRequest, timeout: tuple[float, float]) -> Any:
        import requests

        started, left = time.monotonic(), time.time()
        try:
            response = self.session.request(request.method, request.url, timeout=timeout, **request.options())
        except requests.RequestException as exc:
            failure = self._transport_error(call, exc, connected=request_left(exc))
        else:
            self._log_reply(call, response.status_code, started)
            if call.base_url is None:  # the gateway's reply, not the api-server's
                self.hook.gateway_clock.observe(response.headers.get("Date"), left, time.time())
            return self._check_reply(call, response.status_code, response.headers, response.text)
        raise failure from None  # outside the handler: no __context__ keeps the URL (and key)

    # ------------------------------------------------------------------ async transport (aiohttp)
    async def acall(self, call: Call, session: aiohttp.ClientSession | None = None) -> Any:
        """Async twin of :meth:`call` (aiohttp); pass ``session`` to reuse connections."""
        settings = await self.hook.aget_settings()
        if session is None:
            async with self.async_session() as own:
                return await self.acall(call, own)
        request = build_request(call, settings, self.hook._authenticate)
        async for attempt in self.retry_policy(call).async_retrying():
            with attempt:
                return await self._acall_once(call, request, session)
        raise AssertionError("unreachable")  # pragma: no cover

    def async_session(self, pool_size: int | None = None) -> aiohttp.ClientSession:
        """A new aiohttp session with the hook's timeouts and ``pool_size`` connections (default:
        the hook's); use ``async with``."""
        import aiohttp

        connect, read = (
            self.hook.settings.timeout
            if "settings" in self.hook.__dict__
            else (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT)
        )
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read),
            connector=aiohttp.TCPConnector(limit=pool_size or self.hook.pool_size),
        )
        if hasattr(session, "_retry_connection"):  # aiohttp >= 3.10 silently resends a GET once
            session._retry_connection = False  # after a disconnect: the RetryPolicy decides alone
        return session

    async def _acall_once(self, call: Call, request: HttpRequest, session: aiohttp.ClientSession) -> Any:
        import aiohttp

        started, left = time.monotonic(), time.time()
        try:
            async with session.request(request.method, request.url, **request.options()) as response:
                arrived = time.time()
                text = reply_values.decode_body(await response.read(), response.charset)
                status, reply_headers = response.status, response.headers
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            failure = self._transport_error(call, exc, connected=False)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            failure = self._transport_error(call, exc, connected=True)
        else:
            self._log_reply(call, status, started)
            if call.base_url is None:
                self.hook.gateway_clock.observe(reply_headers.get("Date"), left, arrived)
            return self._check_reply(call, status, reply_headers, text)
        raise failure from None  # outside the handler, as in _call_once
