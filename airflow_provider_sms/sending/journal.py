"""The retry journal of :class:`~airflow_provider_sms.operators.send.SmsSendOperator`.

A send task writes down, as replies arrive, which recipients the gateway accepted (with the
message id) and which sends ended with an unknown outcome (the request left, no reply came back).
When Airflow retries the task, the journal is read first: accepted recipients are not sent again
and their results are returned, unknown ones are reconciled (see the operator).

Where it is kept, per task instance (dag id, run id, task id, map index):

* Airflow >= 3.3: the task's ``task_state_store`` (AIP-103), which survives retries (XComs do not:
  they are cleared before every try). Kept after success for observability, subject to
  ``[state_store] default_retention_days`` and ``clear_on_success``.
* Airflow 3.0 to 3.2: Airflow Variables (the only durable key/value store a task can write
  through the Task SDK on those versions), deleted when the task succeeds.

The journal is an append-only log of *parts* under sequential keys (``sms_send_journal.0``,
``.1``, ...): each flush writes one new part, so no write rewrites an earlier one and a part stays
far below the store's 64 KB advisory value size. Reading stops at the first missing key.

Privacy: numbers are never stored in clear. Each is replaced by a keyed hash (HMAC-SHA256 over the
E.164 number, keyed by the task instance's scope, 64 bits kept); the operator maps hashes back to
the numbers of its own input. This is pseudonymisation, not anonymisation: someone who knows the
scope can test a candidate number against it.

Durability window: accepted results are buffered and flushed every ``flush_every`` results or
``flush_interval`` seconds, whichever comes first, and always before the task ends (success or
failure). Unknown outcomes are flushed at once. A hard crash of the worker (SIGKILL, OOM, lost
node) loses at most the unflushed buffer; those recipients would be sent again by the retry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_sms.exceptions import SmsJournalError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from airflow.sdk import Context

    from airflow_provider_sms.results import SendResult

JOURNAL_FORMAT = 1
KEY_PREFIX = "sms_send_journal"
DEFAULT_FLUSH_EVERY = 500
DEFAULT_FLUSH_INTERVAL = 2.0
#: Hex characters of the keyed hash kept per recipient (64 bits).
HASH_CHARS = 16

ACCEPTED = "accepted"
UNKNOWN = "unknown"

log = logging.getLogger(__name__)


class JournalStore(Protocol):
    """Where journal parts live: a durable key/value store scoped to one task instance."""

    kind: str

    def read(self, part: int) -> dict[str, Any] | None:
        """Return part ``part``, or ``None`` when it does not exist."""

    def write(self, part: int, value: dict[str, Any]) -> None:
        """Store part ``part`` (never rewritten once written)."""

    def discard(self, parts: int) -> None:
        """Forget parts ``0 .. parts-1`` (called after the task succeeded)."""


class TaskStateStoreJournal:
    """Journal parts in Airflow 3.3's ``task_state_store`` (kept after success, see module doc).

    :param accessor: ``context["task_state_store"]`` (``get(key, default)`` / ``set(key, value)``).
    """

    kind = "task_state_store"

    def __init__(self, accessor: Any) -> None:
        self._store = accessor

    def read(self, part: int) -> dict[str, Any] | None:
        value = self._store.get(f"{KEY_PREFIX}.{part}", None)
        return value if isinstance(value, dict) else None

    def write(self, part: int, value: dict[str, Any]) -> None:
        self._store.set(f"{KEY_PREFIX}.{part}", value)

    def discard(self, parts: int) -> None:
        """Keep the parts: the store's retention settings govern them (observable in the UI)."""


class VariableJournal:
    """Journal parts in Airflow Variables, for Airflow 3.0 to 3.2 (deleted after success).

    Keys are ``sms_send_journal.<digest>.<part>`` where ``digest`` is a SHA-256 prefix of the
    scope, so they stay short whatever the run id; the Variable's description names the scope.

    :param scope: ``(dag_id, run_id, task_id, map_index)``.
    """

    kind = "variable"

    def __init__(self, scope: tuple[str, str, str, int]) -> None:
        label = "/".join(str(p) for p in scope)
        digest = hashlib.sha256(label.encode()).hexdigest()[:24]
        self._prefix = f"{KEY_PREFIX}.{digest}"
        self._description = (
            f"airflow-provider-sms retry journal of {label} (safe to delete once it succeeded)"
        )

    def key(self, part: int) -> str:
        """The Variable key of part ``part``."""
        return f"{self._prefix}.{part}"

    def read(self, part: int) -> dict[str, Any] | None:
        from airflow.providers.common.compat.sdk import Variable

        raw = Variable.get(self.key(part), default=None)
        if raw in (None, ""):
            return None
        value = json.loads(raw) if isinstance(raw, str) else raw
        return value if isinstance(value, dict) else None

    def write(self, part: int, value: dict[str, Any]) -> None:
        from airflow.providers.common.compat.sdk import Variable

        Variable.set(self.key(part), json.dumps(value, separators=(",", ":")), description=self._description)

    def discard(self, parts: int) -> None:
        from airflow.providers.common.compat.sdk import Variable

        for part in range(parts):
            Variable.delete(self.key(part))


@dataclass(frozen=True)
class JournalEntry:
    """What an earlier try recorded for one recipient.

    :param status: ``"accepted"`` or ``"unknown"``.
    :param message_id: the gateway's id (accepted only).
    :param credits_used: as in :class:`~airflow_provider_sms.results.SendResult`.
    :param segments: as in :class:`~airflow_provider_sms.results.SendResult`.
    :param at: epoch seconds when the unknown-outcome request was started (unknown only).
    :param try_number: the try that recorded it.
    """

    status: str
    message_id: str | None = None
    credits_used: float | None = None
    segments: int | None = None
    at: float | None = None
    try_number: int | None = None


def _task_state_store(context: Context) -> Any:
    """``context["task_state_store"]`` on Airflow >= 3.3, ``None`` before (a seam for tests)."""
    return context.get("task_state_store")  # type: ignore[misc]


def scope_of(context: Context) -> tuple[str, str, str, int]:
    """``(dag_id, run_id, task_id, map_index)`` of the running task instance."""
    ti = context["ti"]
    map_index = getattr(ti, "map_index", None)
    return (ti.dag_id, ti.run_id, ti.task_id, -1 if map_index is None else int(map_index))


def store_for(context: Context) -> JournalStore:
    """The durable store for this task instance: ``task_state_store`` if present, else Variables."""
    accessor = _task_state_store(context)
    if accessor is not None:
        return TaskStateStoreJournal(accessor)
    return VariableJournal(scope_of(context))


class SendJournal:
    """Thread-safe journal of one task instance's sends (see the module docstring).

    :param store: where parts are kept.
    :param salt: key of the recipient hash (the task instance's scope).
    :param try_number: the current try, written into each part.
    :param flush_every: flush once this many accepted results are buffered.
    :param flush_interval: flush when the oldest buffered result is this many seconds old.
    """

    def __init__(
        self,
        store: JournalStore,
        *,
        salt: str,
        try_number: int = 1,
        flush_every: int = DEFAULT_FLUSH_EVERY,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._key = salt.encode()
        self.try_number = try_number
        self.flush_every = max(1, int(flush_every))
        self.flush_interval = float(flush_interval)
        self._clock = clock
        self._lock = threading.RLock()
        self._entries: dict[str, JournalEntry] = {}
        self._accepted: dict[str, list[Any]] = {}
        self._unknown: dict[str, float] = {}
        self._buffer_since: float | None = None
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
        return hmac.new(self._key, recipient.encode(), hashlib.sha256).hexdigest()[:HASH_CHARS]

    # ------------------------------------------------------------------ reading
    def load(self) -> int:
        """Read every part written by earlier tries; return how many entries were found."""
        part = 0
        while (value := self.store.read(part)) is not None:
            try_number = value.get("try")
            for digest, (message_id, credits, segments) in (value.get("a") or {}).items():
                self._entries[digest] = JournalEntry(
                    ACCEPTED, message_id, credits, segments, None, try_number
                )
            for digest, at in (value.get("u") or {}).items():
                if self._entries.get(digest, JournalEntry(UNKNOWN)).status != ACCEPTED:
                    self._entries[digest] = JournalEntry(UNKNOWN, at=float(at), try_number=try_number)
            part += 1
        self.parts = part
        return len(self._entries)

    def lookup(self, recipient: str) -> JournalEntry | None:
        """What an earlier try recorded for ``recipient`` (E.164), if anything."""
        return self._entries.get(self.digest(recipient))

    # ------------------------------------------------------------------ writing
    def record_accepted(self, results: Iterable[SendResult]) -> None:
        """Buffer accepted results; flush when the buffer is full or old enough."""
        with self._lock:
            for result in results:
                digest = self.digest(result.recipient)
                self._accepted[digest] = [result.message_id, result.credits_used, result.segments]
                self._unknown.pop(digest, None)
                self._entries[digest] = JournalEntry(
                    ACCEPTED, result.message_id, result.credits_used, result.segments, None, self.try_number
                )
            if self._buffer_since is None and self._accepted:
                self._buffer_since = self._clock()
            if len(self._accepted) >= self.flush_every or (
                self._buffer_since is not None and self._clock() - self._buffer_since >= self.flush_interval
            ):
                self._flush_quietly()

    def record_unknown(self, recipients: Iterable[str], at: float) -> None:
        """Record sends whose outcome is unknown (request started at epoch ``at``); flushed at once."""
        with self._lock:
            for recipient in recipients:
                digest = self.digest(recipient)
                self._unknown[digest] = at
                self._entries[digest] = JournalEntry(UNKNOWN, at=at, try_number=self.try_number)
            self._flush_quietly()

    @property
    def pending(self) -> int:
        """Entries recorded but not yet durable."""
        with self._lock:
            return len(self._accepted) + len(self._unknown)

    def flush(self) -> None:
        """Write buffered entries as one new part.

        :raises SmsJournalError: the store refused the write; the entries stay buffered.
        """
        with self._lock:
            if not self._accepted and not self._unknown:
                return
            value = {"v": JOURNAL_FORMAT, "try": self.try_number, "a": self._accepted, "u": self._unknown}
            try:
                self.store.write(self.parts, value)
            except Exception as exc:
                raise SmsJournalError(
                    f"could not save the SMS retry journal ({self.kind}): {type(exc).__name__}; "
                    f"{self.pending} recipient(s) are not recorded"
                ) from exc
            self.parts += 1
            self.writes += 1
            self._accepted, self._unknown, self._buffer_since = {}, {}, None

    def _flush_quietly(self) -> None:
        """Flush from a worker thread; a failure keeps the entries for the final flush."""
        try:
            self.flush()
        except SmsJournalError as exc:
            log.warning("%s; will try again at the next flush", exc)

    def discard(self) -> None:
        """Forget the journal after the task succeeded (only the Variable fallback deletes)."""
        self.store.discard(self.parts)
