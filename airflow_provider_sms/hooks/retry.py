"""The one retry policy of the gateway transport, for its ``requests`` and its ``aiohttp`` paths.

:class:`RetryPolicy` holds every retry decision (how many attempts, which failure is retryable,
how long to wait, what to log) and builds both tenacity's :class:`~tenacity.Retrying` (sync) and
:class:`~tenacity.AsyncRetrying` (async) from the same rules, so the two paths cannot drift apart.
The rules themselves are described in :mod:`airflow_provider_sms.hooks.transport`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsGatewayError,
    SmsInvalidRequestError,
    SmsNotFoundError,
    SmsOutcomeUnknownError,
    SmsRateLimitError,
    SmsServerError,
)
from airflow_provider_sms.toolkit import metrics

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    import requests

DEFAULT_MAX_ATTEMPTS = 4
BACKOFF_BASE_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


class NotSentError(SmsServerError):
    """The connection could not be opened, so the request never reached the gateway.

    Retryable even for a send; once attempts run out the caller sees an :class:`SmsServerError`.
    """


def is_retryable(exc: BaseException, *, idempotent: bool) -> bool:
    """Whether a failed attempt may be repeated.

    Always when nothing reached the gateway (:class:`NotSentError`) or it answered 429; for an
    idempotent call also on any other server-side or transport failure (5xx, timeout, dropped
    connection). A send whose outcome is unknown is never repeated.
    """
    if isinstance(exc, (NotSentError, SmsRateLimitError)):
        return True
    return idempotent and isinstance(exc, SmsServerError)


def classify_reply(
    http_status: int | None,
    code: int | None,
    error_codes: Mapping[int, tuple[type[SmsGatewayError], str]],
    *,
    idempotent: bool,
) -> tuple[type[SmsGatewayError], str]:
    """The exception class and meaning of a refused call; decides which replies are retryable.

    429 first (always retryable), then the vendor's code table, then the HTTP status. A 5xx on a
    send without a vendor error code is :class:`SmsOutcomeUnknownError`: the gateway may have
    acted, so it is never retried. A vendor's explicit refusal (an error code in the body, even
    with a 5xx) means nothing was sent.
    """
    meaning = ""
    if http_status == 429:
        cls: type[SmsGatewayError] = SmsRateLimitError
        meaning = "rate limited"
    elif code is not None and code in error_codes:
        cls, meaning = error_codes[code]
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
    if not idempotent and cls is SmsServerError and code not in error_codes:
        # A 5xx without the vendor's error body: the gateway may have acted. With one (SMS Partner
        # "success": false, code 500 "could not enqueue"), it said plainly it did not.
        cls = SmsOutcomeUnknownError
    return cls, meaning


def parse_retry_after(value: str | None) -> float | None:
    """Read a ``Retry-After`` header given in seconds (HTTP dates are ignored)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def request_left(exc: requests.RequestException) -> bool:
    """Whether a request that failed in ``requests`` may have reached the gateway.

    ``False`` only when the TCP connection could not be opened (connect timeout or refusal).
    """
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return False
    return not (isinstance(exc, requests.ConnectionError) and _never_connected(exc))


def _never_connected(exc: BaseException) -> bool:
    """True when the chain of ``exc`` shows a failure while opening the TCP connection."""
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


def _exception_of(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None and state.outcome.failed else None


@dataclass(frozen=True)
class RetryPolicy:
    """How one kind of call is retried; build it with :meth:`GatewayTransport.retry_policy`.

    :param max_attempts: attempts in all (1 = no retry).
    :param idempotent: whether the call is harmless to repeat (see :func:`is_retryable`).
    :param backoff_base: first wait in seconds; doubles at every attempt.
    :param backoff_cap: longest wait, also applied to the gateway's ``Retry-After``.
    :param label: prefix of the retry log line (the gateway's name).
    :param log: logger receiving one warning per retry (``None``: silent).
    :param sleep: blocking sleep of the sync path (tests pass a recorder).
    :param async_sleep: sleep coroutine of the async path.
    :param metric_tags: ``(gateway, conn_id)`` of the ``sms.request.retries`` counter (``None``: none).
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    idempotent: bool = True
    backoff_base: float = BACKOFF_BASE_SECONDS
    backoff_cap: float = MAX_BACKOFF_SECONDS
    label: str = "gateway"
    log: Any = field(default=None, compare=False, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False, repr=False)
    metric_tags: tuple[str, str] | None = field(default=None, compare=False, repr=False)

    def should_retry(self, exc: BaseException) -> bool:
        """Tenacity's ``retry`` rule: :func:`is_retryable` for this call."""
        return is_retryable(exc, idempotent=self.idempotent)

    def delay(self, attempt_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt_number`` (1-based).

        The gateway's ``Retry-After`` when it gave one, else ``backoff_base`` doubling; both capped.
        """
        if retry_after is not None:
            return min(max(0.0, float(retry_after)), self.backoff_cap)
        return min(self.backoff_base * 2 ** (attempt_number - 1), self.backoff_cap)

    def wait(self, state: RetryCallState) -> float:
        """Tenacity's ``wait``: :meth:`delay` for the attempt that just failed."""
        exc = _exception_of(state)
        return self.delay(state.attempt_number, getattr(exc, "retry_after", None))

    def before_sleep(self, state: RetryCallState) -> None:
        """Tenacity's ``before_sleep``: one warning naming the failure (never its text), one count."""
        if self.metric_tags is not None:
            metrics.incr("request.retries", gateway=self.metric_tags[0], conn_id=self.metric_tags[1])
        if self.log is None:
            return
        exc = _exception_of(state)
        self.log.warning(
            "%s: attempt %d failed (%s); retrying in %.1f s",
            self.label,
            state.attempt_number,
            type(exc).__name__,
            self.wait(state),
        )

    def _tenacity_kwargs(self) -> dict[str, Any]:
        return {
            "retry": retry_if_exception(self.should_retry),
            "stop": stop_after_attempt(max(1, self.max_attempts)),
            "wait": self.wait,
            "before_sleep": self.before_sleep,
            "reraise": True,
        }

    def retrying(self) -> Retrying:
        """A tenacity :class:`~tenacity.Retrying` applying this policy (``for attempt in ...``)."""
        return Retrying(sleep=self.sleep, **self._tenacity_kwargs())

    def async_retrying(self) -> AsyncRetrying:
        """A tenacity :class:`~tenacity.AsyncRetrying` applying this policy (``async for ...``)."""
        return AsyncRetrying(sleep=self.async_sleep, **self._tenacity_kwargs())
