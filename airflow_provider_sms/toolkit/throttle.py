"""Throughput limits of one task: requests in flight and a messages-per-second ceiling.

Both default to the connection's ``max_in_flight`` and ``max_per_second`` extras and can be set per
task. The ceiling holds across the concurrent requests of one task (threads or coroutines); to hold
it across mapped tasks or workers, use an Airflow pool or split it (``docs/send-operator.md``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Protocol

from airflow_provider_sms.rules.options import count_problems, limit_problems

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


#: Requests in flight when neither the task nor the connection (``max_in_flight``) says.
DEFAULT_MAX_CONCURRENCY = 8


def option_problems(max_concurrency: object, max_per_second: object) -> list[str]:
    """Problems of a task's ``max_concurrency`` (``None``: the connection's) and ``max_per_second``."""
    return [
        *(
            count_problems("max_concurrency", max_concurrency, maximum=1000)
            if max_concurrency is not None
            else []
        ),
        *limit_problems("max_per_second", max_per_second, minimum=0, integer=False),
    ]


class RateLimiter:
    """Paces requests so that no more than ``per_second`` messages leave per second on average.

    Each request books the next free slot, as long as its message count takes at the rate: a request
    of 500 numbers at 100/s holds the next one back 5 s. No burst: the first request leaves at once.

    :param per_second: the ceiling, in messages (one per number) per second.
    :param clock: monotonic clock in seconds; ``sleep`` / ``async_sleep``: how to wait (tests
        pass recorders).
    """

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not per_second > 0:
            raise ValueError("per_second must be above 0")
        self.per_second = float(per_second)
        self.clock, self.sleep, self.async_sleep = clock, sleep, async_sleep
        self._lock = threading.Lock()
        self._next: float | None = None

    def reserve(self, count: int = 1) -> float:
        """Book the slot of ``count`` messages; return the seconds to wait before sending them."""
        with self._lock:
            now = self.clock()
            start = now if self._next is None else max(now, self._next)
            self._next = start + max(1, count) / self.per_second
            return start - now

    def wait(self, count: int = 1) -> None:
        """Block until ``count`` messages may leave (threads)."""
        delay = self.reserve(count)
        if delay > 0:
            self.sleep(delay)

    async def await_turn(self, count: int = 1) -> None:
        """Wait, without blocking the event loop, until ``count`` messages may leave."""
        delay = self.reserve(count)
        if delay > 0:
            await self.async_sleep(delay)


class ThroughputDefaults(Protocol):
    """Where a task's throughput defaults come from (a connection's settings)."""

    @property
    def max_in_flight(self) -> int | None: ...

    @property
    def max_per_second(self) -> float | None: ...


def throughput(
    settings: ThroughputDefaults,
    max_concurrency: int | None,
    max_per_second: float | None,
    default_concurrency: int = DEFAULT_MAX_CONCURRENCY,
) -> tuple[int, RateLimiter | None]:
    """Requests in flight and the rate limiter of one task: its own options, else the connection's
    extras, else ``default_concurrency`` and no ceiling."""
    concurrency = max_concurrency if max_concurrency is not None else settings.max_in_flight
    rate = max_per_second if max_per_second is not None else settings.max_per_second
    return int(concurrency or default_concurrency), RateLimiter(rate) if rate else None
