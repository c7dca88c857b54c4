"""Bounded fan-out shared by every bulk operation (sends, list edits), with one early-stop rule.

Work items run ``max_concurrency`` at a time on threads. A :class:`Breaker` stops the items not yet
started: at once after an account-level error (:data:`STOPPING_ERRORS`), or after ``threshold``
transient failures in a row.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsConfigurationError,
    SmsError,
    SmsGatewayError,
    SmsInsufficientCreditError,
    SmsValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

T = TypeVar("T")
R = TypeVar("R")

#: Errors after which every further request is pointless: the fan-out stops at once.
STOPPING_ERRORS = (
    SmsAuthenticationError,
    SmsConfigurationError,
    SmsInsufficientCreditError,
    SmsValidationError,
)


def map_bounded(
    fn: Callable[[T], R],
    items: Iterable[T],
    max_concurrency: int,
    on_done: Callable[[R], None] | None = None,
) -> list[R]:
    """Apply ``fn`` to every item with at most ``max_concurrency`` threads; results in input order.

    ``fn`` should catch its own per-item errors: one that escapes stops the whole map.
    ``on_done`` sees each result as soon as it is ready (in the worker thread), e.g. for progress.
    """
    items = list(items)
    if on_done is not None:
        fn = _reporting(fn, on_done)

    if max_concurrency <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_concurrency, len(items))) as pool:
        return list(pool.map(fn, items))


def _reporting(fn: Callable[[T], R], on_done: Callable[[R], None]) -> Callable[[T], R]:
    def run(item: T) -> R:
        result = fn(item)
        on_done(result)
        return result

    return run


def failure_entry(exc: BaseException) -> dict[str, Any]:
    """A JSON-safe description of ``exc`` for XCom (no key, numbers masked by the hook's texts).

    Errors this provider raises carry a message built without secrets; any other exception is
    reduced to its class name, since its text was not written with privacy in mind.
    """
    if isinstance(exc, SmsGatewayError):
        return exc.to_dict()
    if isinstance(exc, SmsError):
        return {"error": type(exc).__name__, "message": str(exc), "http_status": None, "code": None}
    return {"error": type(exc).__name__, "message": "unexpected error", "http_status": None, "code": None}


class Breaker:
    """Stops a batch early: at once on an account-level error, or after repeated transient failures.

    :param threshold: consecutive transient failures (no success in between) that stop the batch;
        ``None``: only account-level errors stop it.
    """

    def __init__(self, threshold: int | None) -> None:
        self.threshold = max(1, threshold) if threshold is not None else None
        self._lock = threading.Lock()
        self._consecutive = 0
        self.error: BaseException | None = None
        self.permanent = False

    @property
    def stopped(self) -> bool:
        """Whether requests not yet started should be skipped."""
        return self.error is not None

    def stop(self, exc: BaseException) -> None:
        """An error that makes every further send pointless (auth, credit, configuration)."""
        with self._lock:
            if self.error is None or not self.permanent:
                self.error, self.permanent = exc, True

    def failure(self, exc: BaseException) -> None:
        """A transient failure; the batch stops after ``threshold`` in a row."""
        with self._lock:
            self._consecutive += 1
            if self.threshold is not None and self._consecutive >= self.threshold and self.error is None:
                self.error = exc

    def success(self) -> None:
        """The gateway answered: reset the count of failures in a row."""
        with self._lock:
            self._consecutive = 0

    def reason(self) -> dict[str, Any]:
        """The ``error`` entry of recipients left out because the batch stopped."""
        entry = failure_entry(self.error) if self.error is not None else {}
        why = "an account-level error" if self.permanent else f"{self.threshold} failed requests in a row"
        return {**entry, "message": f"not sent: the batch stopped after {why} ({entry.get('error')})"}
