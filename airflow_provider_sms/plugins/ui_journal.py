"""What a send task's retry journal knows while the task is still at work, for the SMS view.

Read-only, in the api-server, with the view's session: the parts the send operator wrote (see
:mod:`~airflow_provider_sms.toolkit.task_store`) from the latest snapshot on, in Airflow 3.3's
``task_state_store`` table, else in the Variables of Airflow 3.0 to 3.2. The parts are folded with
:func:`~airflow_provider_sms.sending.journal_parts.apply_part`, as the next try would fold them,
into totals only: the journal holds a keyed hash per recipient, never a number, so no row can be
shown. A missing, partial or unreadable journal folds as far as it is readable (``None``: nothing).
Parts are append-only, so each journal's fold is kept (:data:`CACHE`) and a later view of the same
running task reads and folds only the parts written since.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.sending.heap import frozen_heap
from airflow_provider_sms.sending.journal_parts import (
    ACCEPTED,
    NOT_SENT_KEY,
    PLANNED_KEY,
    TRY,
    JournalEntry,
    apply_part,
    part_field,
)
from airflow_provider_sms.toolkit.task_store import KEY_PREFIX, VariableStore, head_part

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

    from sqlalchemy.orm import Session

Scope = tuple[str, str, str, int]

#: Task states after which a send's XComs are final (its journal is not read then).
FINISHED_STATES = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})
_HEAD = "head"
#: Journals whose fold is kept (each about 15 MB at 100,000 recipients).
CACHE_SIZE = 4
#: How a value stored outside the metadata database (a worker-side state backend) is marked.
_EXTERNAL_REF = "__airflow_state_ref__"


@dataclass(frozen=True)
class Progress:
    """A running send's totals as its journal records them (recipients, not requests).

    :param accepted: accepted by the gateway so far (every try).
    :param in_flight: in a request about to leave or gone, no outcome recorded yet.
    :param unknown: in a request whose reply was lost (settled by the next try).
    :param not_sent: plainly not taken (refused, blacklisted, held), per the parts since the latest
        snapshot, and not sent again since.
    :param try_number: the latest try that wrote a part.
    :param planned: recipients that try planned to send (``None``: the journal does not say).
    :param parts: parts folded.
    :param store: ``"task_state_store"`` or ``"variable"``.
    """

    accepted: int
    in_flight: int
    unknown: int
    not_sent: int
    try_number: int | None
    planned: int | None
    parts: int
    store: str


def in_progress(state: str | None) -> bool:
    """Whether a send in ``state`` may still be at work (running, awaiting a retry, not started)."""
    return state not in FINISHED_STATES


def _decoded(raw: Any) -> dict[str, Any] | None:
    """A stored value as a part (JSON text or already decoded), ``None`` if it is not one."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    return raw if isinstance(raw, dict) and _EXTERNAL_REF not in raw else None


class JournalFold:
    """The fold of one journal from its head on. Parts are never rewritten, so a later view of the
    same journal folds only the parts written since (:data:`CACHE`); the head moves only when a
    try compacts the journal, and then a new fold starts from the new head."""

    def __init__(self, store: str, head: int) -> None:
        self.store = store
        self.head = self.next_part = head
        self.entries: dict[str, JournalEntry] = {}
        self.not_sent: set[str] = set()
        self.try_number: int | None = None
        self.planned: int | None = None
        self.lock = threading.Lock()
        self.key: tuple[Any, ...] = ()  # where the cache keeps it

    def feed(self, raw: Any) -> bool:
        """Fold part :attr:`next_part` (as stored); ``False`` when it is missing or unreadable."""
        value = _decoded(raw)
        if value is None:
            return False
        try:
            apply_part(self.entries, value)
            self.not_sent.update(part_field(value, NOT_SENT_KEY) or ())
        except (TypeError, ValueError, AttributeError):
            return False  # written by something else: show what came before
        number = value.get(TRY)
        if isinstance(number, int) and (self.try_number is None or number >= self.try_number):
            planned = value.get(PLANNED_KEY)
            if isinstance(planned, int) and not isinstance(planned, bool):
                self.planned = planned
            elif number != self.try_number:
                self.planned = None
            self.try_number = number
        self.next_part += 1
        return True

    def progress(self) -> Progress | None:
        """The totals so far, ``None`` when no part was folded."""
        if self.next_part == self.head:
            return None
        accepted = in_flight = 0
        for entry in self.entries.values():
            if entry.status == ACCEPTED:
                accepted += 1
            elif entry.in_flight:
                in_flight += 1
        return Progress(
            accepted,
            in_flight,
            len(self.entries) - accepted - in_flight,
            len(self.not_sent.difference(self.entries)),
            self.try_number,
            self.planned,
            self.next_part - self.head,
            self.store,
        )


def fold(stored: Mapping[str, Any], store: str) -> Progress | None:
    """Fold ``stored`` (key suffix -> stored value: ``"head"``, ``"0"``, ``"1"``, ...) from the head
    on, part after part, until a part is missing or unreadable; ``None`` when none was folded."""
    folding = JournalFold(store, head_part(_decoded(stored.get(_HEAD))))
    while folding.feed(stored.get(str(folding.next_part))):
        pass
    return folding.progress()


class FoldCache:
    """:class:`JournalFold` per journal (scope, store, head); the least recently used goes first."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._folds: OrderedDict[tuple[Any, ...], JournalFold] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], store: str, head: int) -> JournalFold:
        """The fold of ``key`` started at ``head`` (a new one if none is kept)."""
        with self._lock:
            found = self._folds.get((*key, head))
            if found is None:
                found = self._folds[(*key, head)] = JournalFold(store, head)
                found.key = (*key, head)
            self._folds.move_to_end((*key, head))
            while len(self._folds) > self.size:
                self._folds.popitem(last=False)
            return found

    def restart(self, stale: JournalFold) -> JournalFold:
        """A new fold in place of ``stale`` (whose parts are no longer all there)."""
        with self._lock:
            fresh = self._folds[stale.key] = JournalFold(stale.store, stale.head)
            fresh.key = stale.key
            return fresh


CACHE = FoldCache()


def _suffixes(keys: Iterable[str], prefix: str) -> dict[str, str]:
    """Key suffix (``head``, ``0``, ...) -> key, for the keys right under ``prefix``."""
    found = {}
    for key in keys:
        suffix = key[len(prefix) + 1 :] if key.startswith(prefix + ".") else ""
        if suffix == _HEAD or suffix.isdigit():
            found[suffix] = key
    return found


class TaskStateStoreRows:
    """The journal's rows in the ``task_state_store`` table (Airflow 3.3+; none before)."""

    kind = "task_state_store"

    def __init__(self, session: Session, scope: Scope) -> None:
        self._session = session
        self._scope = scope

    def _query(self, *columns: Any) -> Any:
        from airflow.models.task_state_store import TaskStateStoreModel as Model
        from sqlalchemy import select

        dag_id, run_id, task_id, map_index = self._scope
        return select(*columns).where(
            Model.dag_id == dag_id,
            Model.run_id == run_id,
            Model.task_id == task_id,
            Model.map_index == map_index,
        )

    def keys(self) -> dict[str, str]:
        try:
            from airflow.models.task_state_store import TaskStateStoreModel as Model
        except ImportError:
            return {}
        query = self._query(Model.key).where(Model.key.like(f"{KEY_PREFIX}.%"))
        return _suffixes(self._session.scalars(query), KEY_PREFIX)

    def values(self, keys: Collection[str]) -> dict[str, Any]:
        from airflow.models.task_state_store import TaskStateStoreModel as Model

        return dict(
            self._session.execute(self._query(Model.key, Model.value).where(Model.key.in_(keys))).all()
        )


class VariableRows:
    """The journal's Variables (the fallback of Airflow 3.0 to 3.2), decrypted as Airflow does."""

    kind = "variable"

    def __init__(self, session: Session, scope: Scope) -> None:
        self._session = session
        self._prefix = VariableStore(scope).key_prefix

    def keys(self) -> dict[str, str]:
        from airflow.models.variable import Variable
        from sqlalchemy import select

        query = select(Variable.key).where(Variable.key.like(f"{self._prefix}.%"))
        return _suffixes(self._session.scalars(query), self._prefix)

    def values(self, keys: Collection[str]) -> dict[str, Any]:
        from airflow.models.variable import Variable
        from sqlalchemy import select

        return {v.key: v.val for v in self._session.scalars(select(Variable).where(Variable.key.in_(keys)))}


def _wanted(keys: Mapping[str, str], start: int) -> list[str]:
    """The keys of the consecutive parts from ``start`` on."""
    wanted: list[str] = []
    while (key := keys.get(str(start + len(wanted)))) is not None:
        wanted.append(key)
    return wanted


def _try_number(session: Session, scope: Scope) -> int | None:
    """The task instance's current try (a cleared task starts a new one, and a new journal)."""
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import select

    dag_id, run_id, task_id, map_index = scope
    return session.scalar(
        select(TaskInstance.try_number).where(
            TaskInstance.dag_id == dag_id,
            TaskInstance.run_id == run_id,
            TaskInstance.task_id == task_id,
            TaskInstance.map_index == map_index,
        )
    )


def read_progress(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int
) -> Progress | None:
    """What the journal of a task instance says so far (never written here); ``None``: nothing.

    A few small queries (the try, the keys, the head) and the parts not folded yet, folded onto the
    fold kept for this journal: the same head in the same try of the task instance, with every
    part folded before still there (else the fold starts again).
    """
    scope: Scope = (dag_id, run_id, task_id, map_index)
    for rows in (TaskStateStoreRows(session, scope), VariableRows(session, scope)):
        keys = rows.keys()
        if keys:
            break
    else:
        return None
    head = head_part(_decoded(rows.values([keys[_HEAD]]).get(keys[_HEAD]))) if _HEAD in keys else 0
    folding = CACHE.get((rows.kind, *scope, _try_number(session, scope)), rows.kind, head)
    if folding.next_part > head and str(folding.next_part - 1) not in keys:
        folding = CACHE.restart(folding)  # parts were deleted (retention, or the journal discarded)
    with folding.lock:
        wanted = _wanted(keys, folding.next_part)
        values = rows.values(wanted) if wanted else {}
        with frozen_heap():  # 100,000 entries: no full collections of the api-server's heap meanwhile
            for key in wanted:
                if not folding.feed(values.get(key)):
                    break
        return folding.progress()
