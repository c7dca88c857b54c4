"""The retry journal of :class:`~airflow_provider_sms.operators.send.SmsSendOperator`: write-ahead
intents and outcomes, so no try sends again what an earlier try may have sent.

* **Intent, before a request leaves.** The journal holds which recipients a request carries, its
  reconciliation tag (where the gateway reconciles by tag) and when it started. One write covers a
  *window* of upcoming requests (up to :data:`INTENT_WINDOW` recipients), so the cost stays at one
  write per window, not per request. A request never leaves before its intent is durable.
* **Outcome, after the reply.** Accepted recipients (with their message ids), recipients the
  gateway plainly did not take (refused, blacklisted, not attempted) and unknown outcomes are
  buffered and written with the next part: every ``flush_every`` results or ``flush_interval``
  seconds, with the next intent window, and always before the task ends.
* **On the next try** (a retry, or the try after a worker crash), :meth:`SendJournal.load` reads
  every part: an accepted recipient is not sent again, and a recipient whose last intent has no
  outcome is an *unknown outcome*, settled with the gateway (see
  :mod:`~airflow_provider_sms.sending.reconcile`). A crash therefore loses no information that
  matters: at worst, acceptances not yet flushed are found again by reconciliation.

Where parts live: :mod:`~airflow_provider_sms.toolkit.task_store`. Privacy: numbers are never
stored in clear; each is replaced by a keyed hash (HMAC-SHA256 over the E.164 number, keyed by the
task instance's scope, 64 bits kept), which the operator maps back to the numbers of its own input.
This is pseudonymisation, not anonymisation: someone who knows the scope can test a candidate number.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import SmsJournalError
from airflow_provider_sms.sending.journal_parts import (
    ACCEPTED,
    ACCEPTED_KEY,
    FORMAT,
    FORMAT_KEY,
    INTENTS_KEY,
    NOT_SENT_KEY,
    PLANNED_KEY,
    TRY,
    UNKNOWN,
    UNKNOWN_KEY,
    JournalEntry,
    PlannedRequest,
    apply_part,
    snapshot_parts,
)
from airflow_provider_sms.toolkit.task_store import TaskStore, scope_of, store_for

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from airflow.sdk import Context

    from airflow_provider_sms.model.results import SendResult

#: Parts read at the start of a try beyond which the journal is compacted into a snapshot.
COMPACT_AFTER = 16
DEFAULT_FLUSH_EVERY = 500
DEFAULT_FLUSH_INTERVAL = 2.0
#: Recipients one intent write covers (keeps a part far below the stores' 64 KB advisory size).
INTENT_WINDOW = 2000
#: Hex characters of the keyed hash kept per recipient (64 bits).
HASH_CHARS = 16

log = logging.getLogger(__name__)


class SendJournal:
    """Thread-safe journal of one task instance's sends (see the module docstring).

    :param store: where parts are kept.
    :param salt: key of the recipient hash (the task instance's scope).
    :param try_number: the current try, written into each part.
    :param flush_every: write outcomes once this many accepted results are buffered.
    :param flush_interval: ... or when the oldest buffered result is this many seconds old.
    :param intent_window: recipients one intent write covers.
    """

    def __init__(
        self,
        store: TaskStore,
        *,
        salt: str,
        try_number: int = 1,
        flush_every: int = DEFAULT_FLUSH_EVERY,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        intent_window: int = INTENT_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._key = salt.encode()
        self._digests: dict[str, str] = {}  # each number is hashed once (intent, then outcome)
        self.try_number = try_number
        self.flush_every = max(1, int(flush_every))
        self.flush_interval = float(flush_interval)
        self.intent_window = max(1, int(intent_window))
        self._clock = clock
        self._lock = threading.RLock()
        self._entries: dict[str, JournalEntry] = {}
        self._accepted: dict[str, list[Any]] = {}
        self._unknown: dict[str, list[Any]] = {}
        self._not_sent: set[str] = set()
        self._intents: dict[str, list[Any]] = {}
        self._buffer_since: float | None = None
        self._plan: list[PlannedRequest] = []
        self._planned: int | None = None  # recipients of this try's plan, written once
        self._covered: set[int] = set()
        self._extra_requests = 0
        self.parts = 0
        self.writes = 0

    @classmethod
    def for_context(cls, context: Context, **kwargs: Any) -> SendJournal:
        """Open the journal of the running task instance (call :meth:`load` next)."""
        scope = scope_of(context)
        return cls(
            store_for(context),
            salt="/".join(str(p) for p in scope),
            try_number=int(getattr(context["ti"], "try_number", 1) or 1),
            **kwargs,
        )

    @property
    def kind(self) -> str:
        """``"task_state_store"`` or ``"variable"``."""
        return self.store.kind

    def digest(self, recipient: str) -> str:
        """The keyed hash that stands for ``recipient`` in the store."""
        found = self._digests.get(recipient)
        if found is None:
            found = hmac.digest(self._key, recipient.encode(), "sha256").hex()[:HASH_CHARS]
            self._digests[recipient] = found
        return found

    def request_tag(self, index: int) -> str:
        """A tag unique to request ``index`` of this try (20 lowercase characters, no spaces)."""
        seed = f"{self.try_number}/{index}".encode()
        return "sms" + hmac.new(self._key, seed, hashlib.sha256).hexdigest()[:17]

    # ------------------------------------------------------------------ reading
    def load(self) -> int:
        """Read what earlier tries wrote (from the latest snapshot on); return how many entries.

        When that took more than :data:`COMPACT_AFTER` parts, the state is written again as a
        snapshot and the head moved to it, so the next try reads a few parts, not every one.
        """
        start = self.store.read_head()
        part = start
        while (value := self.store.read(part)) is not None:
            self._apply(value)
            part += 1
        self.parts = part
        if part - start > COMPACT_AFTER:
            self._compact()
        return len(self._entries)

    def _compact(self) -> None:
        """Write the loaded state as consecutive snapshot parts, then point the head at them.

        A crash in between leaves the old head: the reader then applies the old parts and the
        snapshot, which agree, so nothing is lost either way.
        """
        first = self.parts
        try:
            for value in snapshot_parts(self._entries, self.try_number):
                self.store.write(self.parts, value)
                self.parts += 1
                self.writes += 1
            self.store.write_head(first)
        except Exception as exc:
            log.warning("Could not compact the SMS retry journal (%s): %s", self.kind, type(exc).__name__)

    def _apply(self, value: dict[str, Any]) -> None:
        apply_part(self._entries, value)

    def lookup(self, recipient: str) -> JournalEntry | None:
        """What an earlier try recorded for ``recipient`` (E.164), if anything."""
        return self._entries.get(self.digest(recipient))

    def accepted_ids(self) -> frozenset[str]:
        """The message id of every recipient accepted so far, whatever the input now holds."""
        with self._lock:
            return frozenset(
                str(e.message_id) for e in self._entries.values() if e.status == ACCEPTED and e.message_id
            )

    def tally(self) -> tuple[int, int]:
        """``(accepted, unknown)``: how many recipients are recorded accepted, and how many have an
        unknown outcome, whatever the input now holds."""
        with self._lock:
            accepted = sum(1 for e in self._entries.values() if e.status == ACCEPTED)
            return accepted, len(self._entries) - accepted

    # ------------------------------------------------------------------ intents
    def plan(self, chunks: Sequence[Sequence[str]], tags: Sequence[str | None]) -> list[PlannedRequest]:
        """Number this try's requests, in the order they will leave; intents are written per window."""
        with self._lock:
            self._plan = [
                PlannedRequest(i, tuple(chunk), tag)
                for i, (chunk, tag) in enumerate(zip(chunks, tags, strict=True))
            ]
            self._planned = sum(len(planned.recipients) for planned in self._plan)
            return list(self._plan)

    def extra_request(self, recipients: Sequence[str], tag: str | None) -> PlannedRequest:
        """A request outside the plan (a refused request split in two); its intent is written alone."""
        with self._lock:
            self._extra_requests += 1
            return PlannedRequest(-self._extra_requests, tuple(recipients), tag)

    def ensure_intent(self, request: PlannedRequest) -> None:
        """Make the intent of ``request`` durable before it leaves (one write covers a window).

        :raises SmsJournalError: the store refused the write: the request must not leave.
        """
        with self._lock:
            if request.index in self._covered:
                return
            window = [request]
            if request.index >= 0:
                window = []
                size = 0
                for planned in self._plan[request.index :]:
                    if planned.index in self._covered or (
                        window and size + len(planned.recipients) > self.intent_window
                    ):
                        break
                    window.append(planned)
                    size += len(planned.recipients)
            at = time.time()
            for planned in window:
                self._intents[f"{self.try_number}.{planned.index}"] = [
                    planned.tag,
                    at,
                    [self.digest(r) for r in planned.recipients],
                ]
            self.flush()
            self._covered.update(planned.index for planned in window)

    # ------------------------------------------------------------------ outcomes
    def record_accepted(self, results: Sequence[SendResult], recipients: Sequence[str] | None = None) -> None:
        """Buffer accepted results; write them when the buffer is full or old enough.

        :param recipients: the identity of each result's recipient (default: its number).
        """
        names = recipients if recipients is not None else [result.recipient for result in results]
        entries: dict[tuple[str, float | None, int | None], JournalEntry] = {}  # a request's are alike
        with self._lock:
            for recipient, result in zip(names, results, strict=True):
                digest = self.digest(recipient)
                figures = (result.message_id, result.credits_used, result.segments)
                self._accepted[digest] = list(figures)
                self._unknown.pop(digest, None)
                self._not_sent.discard(digest)
                entry = entries.get(figures)
                if entry is None:
                    entry = entries[figures] = JournalEntry(ACCEPTED, *figures, None, self.try_number)
                self._entries[digest] = entry
            if self._buffer_since is None and self._accepted:
                self._buffer_since = self._clock()
            if len(self._accepted) >= self.flush_every or (
                self._buffer_since is not None and self._clock() - self._buffer_since >= self.flush_interval
            ):
                self._flush_quietly()

    def record_not_sent(self, recipients: Iterable[str]) -> None:
        """Recipients whose request the gateway plainly did not take (buffered)."""
        with self._lock:
            for recipient in recipients:
                digest = self.digest(recipient)
                self._not_sent.add(digest)
                self._unknown.pop(digest, None)
                self._entries.pop(digest, None)

    def record_unknown(self, recipients: Iterable[str], at: float, tag: str | None = None) -> None:
        """Sends whose outcome is unknown (request started at epoch ``at``); written at once."""
        with self._lock:
            for recipient in recipients:
                digest = self.digest(recipient)
                self._unknown[digest] = [at, tag]
                self._not_sent.discard(digest)
                self._entries[digest] = JournalEntry(UNKNOWN, at=at, try_number=self.try_number, tag=tag)
            self._flush_quietly()

    @property
    def pending(self) -> int:
        """Entries recorded but not yet durable."""
        with self._lock:
            return len(self._accepted) + len(self._unknown) + len(self._not_sent)

    def flush(self) -> None:
        """Write buffered intents and outcomes as one new part.

        :raises SmsJournalError: the store refused the write; the entries stay buffered.
        """
        with self._lock:
            if not (self._accepted or self._unknown or self._not_sent or self._intents):
                return
            value: dict[str, Any] = {FORMAT_KEY: FORMAT, TRY: self.try_number, ACCEPTED_KEY: self._accepted}
            if self._unknown:
                value[UNKNOWN_KEY] = self._unknown
            if self._not_sent:
                value[NOT_SENT_KEY] = sorted(self._not_sent)
            if self._intents:
                value[INTENTS_KEY] = self._intents
            if self._planned is not None:
                value[PLANNED_KEY] = self._planned
            try:
                self.store.write(self.parts, value)
            except Exception as exc:
                raise SmsJournalError(
                    f"could not save the SMS retry journal ({self.kind}): {type(exc).__name__}; "
                    f"{self.pending} recipient(s) are not recorded"
                ) from exc
            self.parts += 1
            self.writes += 1
            self._accepted, self._unknown, self._not_sent, self._intents = {}, {}, set(), {}
            self._buffer_since, self._planned = None, None

    def _flush_quietly(self) -> None:
        """Flush from a worker thread; a failure keeps the entries for the next write."""
        try:
            self.flush()
        except SmsJournalError as exc:
            log.warning("%s; will try again at the next write", exc)

    def discard(self) -> None:
        """Forget the journal after the task succeeded (only the Variable fallback deletes)."""
        self.store.discard(self.parts)
