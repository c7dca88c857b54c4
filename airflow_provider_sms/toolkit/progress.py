"""Progress lines in the task log for long fan-outs (sends, STOP / bounce list edits).

Rule: nothing while the run is younger than ``interval`` (10 s), so short runs log no progress
line; after that, a line each time ``interval`` has passed since the last one, or a new ``step``
(10%) of the total is reached, whichever comes first. Lines are written as items complete, so a
line is never late by more than one item. Each holds counts, the rate and an estimated finish:
never a number or a text.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 10.0
DEFAULT_STEP = 0.1
#: The clock of a :class:`Progress` made without one (read at construction; tests replace it).
DEFAULT_CLOCK: Callable[[], float] = time.monotonic


class Progress:
    """Thread-safe counter of a fan-out's outcomes that logs at a bounded rate.

    :param total: items in the whole run (the done count may start above 0, see ``done``).
    :param names: the three outcome names, in the order :meth:`add` takes them.
    :param unit: what is counted (``"recipients"``, ``"numbers"``).
    :param done: items already settled before this run (recovered from an earlier try), by name.
    :param interval: seconds between lines, and before the first one.
    :param step: fraction of ``total`` that also triggers a line.
    :param clock: monotonic clock in seconds; default :data:`DEFAULT_CLOCK`.
    :param logger: where lines go.
    """

    def __init__(
        self,
        total: int,
        *,
        names: Sequence[str] = ("accepted", "skipped", "failed"),
        unit: str = "recipients",
        done: Sequence[int] = (0, 0, 0),
        interval: float = DEFAULT_INTERVAL,
        step: float = DEFAULT_STEP,
        clock: Callable[[], float] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.total = max(0, int(total))
        self.names = tuple(names)
        self.unit = unit
        self.counts = [int(n) for n in done]
        self.interval = float(interval)
        self.step = float(step)
        self.clock = clock if clock is not None else DEFAULT_CLOCK
        self.log = logger or log
        self.lines = 0
        self._lock = threading.Lock()
        self._start = self.clock()
        self._initial = sum(self.counts)
        self._last_line = self._start
        self._last_step = self._step_of(self._initial)

    @property
    def done(self) -> int:
        """Items settled so far (all outcomes)."""
        return sum(self.counts)

    def _step_of(self, done: int) -> int:
        if self.total <= 0 or self.step <= 0:
            return 0
        return int(done / self.total / self.step + 1e-9)

    def add(self, *counts: int) -> None:
        """Count finished items (one number per outcome name); log a line when one is due."""
        with self._lock:
            for i, n in enumerate(counts):
                self.counts[i] += int(n)
            now = self.clock()
            step = self._step_of(self.done)
            if now - self._start < self.interval:
                self._last_step = step  # short so far: steps reached now are not reported later
                return
            if now - self._last_line < self.interval and step <= self._last_step:
                return
            self._last_line, self._last_step = now, step
            self.lines += 1
            self._log_line(now)

    def _log_line(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        done, total = self.done, self.total
        rate = (done - self._initial) / elapsed
        left = total - done
        eta = f"about {left / rate:.0f} s left" if rate > 0 and left > 0 else "finishing"
        if left <= 0:
            eta = "done"
        self.log.info(
            "progress: %d/%d %s (%.0f%%): %s; %.1f/s; %s",
            done,
            total,
            self.unit,
            100.0 * done / total if total else 100.0,
            ", ".join(f"{n} {name}" for name, n in zip(self.names, self.counts, strict=False)),
            rate,
            eta,
        )
