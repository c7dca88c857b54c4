"""Skip per-message status requests while a send's figures stand still.

A gateway with :attr:`~airflow_provider_sms.hooks.gateway.GatewayCapabilities.status_summary_by_category`
answers one category's figures (sent, delivered, errors...) in one request. Every change of a
message's state moves one of them, so while they are unchanged since the last poll nothing tracked
has moved, and the :class:`~airflow_provider_sms.tracking.delivery.DeliveryTracker` asks about no message.
It does a per-message pass when the figures move, on the first poll, and at least every
:data:`FULL_PASS_EVERY_POLLS` polls or :data:`FULL_PASS_EVERY_SECONDS` seconds (a safety net for
figures that lag: ``docs/vendor-apis.md`` A45).

The figures are a shortcut, never a verdict: when reading them fails (an unknown category, a 5xx,
a rate limit, a reply of an unexpected shape), the gate turns itself off, and that poll and every
later one of the wait ask about each message, as on a gateway without figures (whose errors the
tracker handles as usual); :meth:`FiguresGate.notice` says so once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import SmsError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from airflow_provider_sms.rules.messages import MessageRef

#: A per-message pass at least every this many polls...
FULL_PASS_EVERY_POLLS = 10
#: ... and at least this often, in seconds.
FULL_PASS_EVERY_SECONDS = 300.0
#: Most categories read per poll (beyond, or when a pending message has none: per-message polls).
MAX_CATEGORIES = 4

Figures = tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
#: What a failed figures read may raise: a gateway error, or a reply the parser could not read.
FIGURES_FAILURES = (SmsError, ValueError, TypeError, ArithmeticError, LookupError)


class FiguresGate:
    """Decide, poll by poll, whether the per-message pass can be skipped.

    :param every_polls: a full pass at least every this many polls.
    :param every_seconds: a full pass at least this often.
    :param clock: monotonic time source (tests pass their own).
    :param enabled: read the figures at all (``False``: an earlier read of this wait failed).
    """

    def __init__(
        self,
        every_polls: int = FULL_PASS_EVERY_POLLS,
        every_seconds: float = FULL_PASS_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool = True,
    ) -> None:
        self.every_polls, self.every_seconds, self.clock = max(1, every_polls), every_seconds, clock
        self.last: Figures | None = None
        self._seen: Figures | None = None
        self.last_pass_at = 0.0
        self.skipped = 0
        #: Per-message passes skipped so far (for logs and benchmarks).
        self.skipped_total = 0
        #: ``False`` once a figures read failed: per-message passes only, for the rest of the wait.
        self.enabled = enabled
        #: The error class of the read that turned the gate off, until :meth:`notice` reports it.
        self._failure: str | None = None

    @staticmethod
    def categories(source: Any, refs: Sequence[MessageRef]) -> list[str]:
        """The categories to read first; empty when the gateway cannot or the refs do not allow it."""
        caps = getattr(source, "capabilities", None)
        if not getattr(caps, "status_summary_by_category", False):
            return []
        found = {ref.get("category") for ref in refs}
        if None in found or "" in found or len(found) > MAX_CATEGORIES or len(found) >= len(refs):
            return []
        return sorted(str(c) for c in found)

    def nothing_moved(self, source: Any, refs: Sequence[MessageRef]) -> bool:
        """Read the figures of ``refs``' categories (when possible); True when nothing moved."""
        chosen = self.categories(source, refs) if self.enabled else []
        if not chosen:
            return False
        try:
            figures = {c: source.get_status_summary(c) for c in chosen}
        except FIGURES_FAILURES as exc:
            return self._turn_off(exc)
        return self.unchanged_since_last_pass(figures)

    async def anothing_moved(self, source: Any, refs: Sequence[MessageRef]) -> bool:
        """Async twin of :meth:`nothing_moved` (``await source.aget_status_summary``)."""
        chosen = self.categories(source, refs) if self.enabled else []
        if not chosen:
            return False
        try:
            figures = {c: await source.aget_status_summary(c) for c in chosen}
        except FIGURES_FAILURES as exc:
            return self._turn_off(exc)
        return self.unchanged_since_last_pass(figures)

    def _turn_off(self, exc: Exception) -> bool:
        """A figures read failed: per-message passes from now on (this poll's included)."""
        self.enabled, self._failure, self.last, self._seen = False, type(exc).__name__, None, None
        return False

    def notice(self) -> str | None:
        """The warning to log once the gate turned itself off (``None`` otherwise, and after the
        first call): the error class only, no number."""
        failure, self._failure = self._failure, None
        if failure is None:
            return None
        return (
            f"Could not read the delivery figures of the messages' categories ({failure}); "
            "asking about each message instead for the rest of this wait"
        )

    def unchanged_since_last_pass(self, figures: dict[str, dict[str, int]]) -> bool:
        """True when the figures equal those of the last per-message pass and no safety-net pass
        is due; else keep them for :meth:`record_pass`."""
        current: Figures = tuple((c, tuple(sorted(f.items()))) for c, f in sorted(figures.items()))
        fresh = self.clock() - self.last_pass_at < self.every_seconds
        readable = bool(figures) and all(figures.values())
        if readable and current == self.last and fresh and self.skipped + 1 < self.every_polls:
            self.skipped += 1
            self.skipped_total += 1
            return True
        self._seen = current if readable else None
        return False

    def record_pass(self) -> None:
        """A per-message pass was answered: its figures become the reference."""
        self.last, self.last_pass_at, self.skipped = self._seen, self.clock(), 0

    def snapshot(self) -> dict[str, Any]:
        """The reference figures and the safety-net counters, as JSON (meaningful in another
        process only with a wall-clock ``clock``)."""
        figures = [[c, [list(pair) for pair in f]] for c, f in self.last] if self.last else None
        return {
            "figures": figures,
            "last_pass_at": self.last_pass_at,
            "skipped": self.skipped,
            "enabled": self.enabled,
        }

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Take back a :meth:`snapshot`; anything malformed leaves the gate as new (a full pass)."""
        try:
            figures = saved.get("figures")
            self.last = (
                tuple((str(c), tuple((str(k), int(v)) for k, v in f)) for c, f in figures)
                if figures
                else None
            )
            self.last_pass_at = float(saved.get("last_pass_at") or 0.0)
            self.skipped = int(saved.get("skipped") or 0)
            self.enabled = saved.get("enabled") is not False
        except (TypeError, ValueError):
            self.last, self.last_pass_at, self.skipped = None, 0.0, 0
