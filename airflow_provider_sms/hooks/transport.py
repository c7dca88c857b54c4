"""HTTP transport shared by both gateway hooks: requests described as :class:`Call`, sent with
``requests`` or ``aiohttp``, retried only where that is safe, and replies turned into typed errors.

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
import json
import re
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsGatewayError,
    SmsInvalidRequestError,
    SmsNotFoundError,
    SmsOutcomeUnknownError,
    SmsRateLimitError,
    SmsServerError,
)
from airflow_provider_sms.hooks.settings import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from airflow_provider_sms.message import mask_number

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import aiohttp

    from airflow_provider_sms.hooks.settings import ConnectionSettings

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


def _wait_seconds(state: RetryCallState) -> float:
    """Backoff: the gateway's ``Retry-After`` when given, else 0.5 s doubling; capped."""
    exc = state.outcome.exception() if state.outcome else None
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        return min(float(retry_after), MAX_BACKOFF_SECONDS)
    return min(0.5 * 2 ** (state.attempt_number - 1), MAX_BACKOFF_SECONDS)


class _RetryableTransportError(SmsServerError):
    """Internal: the connection could not be opened, so the request never reached the gateway."""


class GatewayTransport:
    """Mixin of :class:`~airflow_provider_sms.hooks.base.SmsHook`: sends :class:`Call` objects.

    The hook provides the connection (``settings`` / ``aget_settings``), where the key goes
    (``_authenticate``) and how an error reply looks (``_vendor_error``).
    """

    hook_name: ClassVar[str]
    error_codes: ClassVar[dict[int, tuple[type[SmsGatewayError], str]]]
    sms_conn_id: str
    max_attempts: int
    pool_size: int

    if TYPE_CHECKING:

        @property
        def settings(self) -> ConnectionSettings: ...

        @property
        def log(self) -> Any: ...

    async def aget_settings(self) -> ConnectionSettings:
        raise NotImplementedError

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
