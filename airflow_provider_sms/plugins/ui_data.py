"""What the SMS views show, read from the XComs the SMS tasks wrote (metadata database, read-only).

A send task (``SmsSendOperator``, ``SqlToSmsOperator``) pushes ``return_value`` (accepted
``SendResult`` dicts), ``skipped``, ``failed`` and ``unconfirmed``; a delivery sensor pushes its
statuses as ``return_value``. Each task's XComs become one :class:`TaskSms`: its totals and one
:class:`Row` per recipient, where the number is already masked and no key, text or message id is
kept. A send's rows carry the delivery state a sensor of the same run reported for them.

Parsed tasks are cached per process (:data:`CACHE_SIZE` entries) and re-read when an XCom of the
task or of the run's sensors changes: paging through a 100,000-row send parses its XComs once.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from airflow_provider_sms.model.results import XCOM_RETURN_KEY
from airflow_provider_sms.rules.numbers import mask_number, mask_numbers_in
from airflow_provider_sms.sending.heap import frozen_heap

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from sqlalchemy.orm import Session

#: Operators whose task instances get an SMS view (by class name, as Airflow records it).
SEND_OPERATORS = frozenset({"SmsSendOperator", "SqlToSmsOperator"})
DELIVERY_OPERATORS = frozenset({"SmsDeliverySensor"})
#: The XCom keys a send pushes besides its return value.
OUTCOME_KEYS = ("skipped", "failed", "unconfirmed")
XCOM_KEYS = (XCOM_RETURN_KEY, *OUTCOME_KEYS)
#: Delivery states in funnel order (``unsubscribed`` is a STOP); ``untracked``: no sensor saw it.
FUNNEL_STATES = ("delivered", "pending", "error", "bounced", "unsubscribed", "untracked")
#: The outcomes a row may have.
OUTCOMES = ("accepted", "merged", "skipped", "failed", "unconfirmed", "tracked")
CACHE_SIZE = 8
_MERGED_PREFIX = "merged:"


class Row(NamedTuple):
    """One recipient as shown: nothing here identifies a person beyond a masked number (a tuple:
    100,000 of them are built at once)."""

    position: int | None
    number: str
    outcome: str
    reason: str | None = None
    state: str | None = None
    time: str | None = None


@dataclass
class Totals:
    """What a task (or a run) did, summed."""

    accepted: int = 0
    merged: int = 0
    skipped: int = 0
    failed: int = 0
    unconfirmed: int = 0
    tracked: int = 0
    segments: int = 0
    cost: dict[str, float] = field(default_factory=dict)
    funnel: Counter[str] = field(default_factory=Counter)

    def add(self, other: Totals) -> None:
        """Fold ``other`` into these totals."""
        for name in ("accepted", "merged", "skipped", "failed", "unconfirmed", "tracked", "segments"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for vendor, amount in other.cost.items():
            self.cost[vendor] = self.cost.get(vendor, 0.0) + amount
        self.funnel.update(other.funnel)


@dataclass
class TaskSms:
    """One SMS task instance: ``kind`` ``"send"`` or ``"delivery"``; ``rows`` in input order."""

    task_id: str
    map_index: int
    kind: str
    state: str | None
    totals: Totals
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Page:
    """One page of a task's rows after filtering."""

    rows: Sequence[Row]
    matching: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.matching // self.size))


# ---------------------------------------------------------------------------- parsing
def _decode(value: Any) -> Any:
    """An XCom value as stored: JSON already decoded by the database driver, or JSON text."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _position(item: Mapping[str, Any]) -> int | None:
    position = item.get("position")
    return position if isinstance(position, int) and not isinstance(position, bool) else None


def _text(value: Any) -> str | None:
    """Free text from a task's XCom, with any phone-number-like run masked."""
    return None if value is None else mask_numbers_in(str(value))


def _masked(number: Any) -> str:
    """:func:`mask_number`, with a fast path for E.164 (100,000 of them in a big send)."""
    if isinstance(number, str) and len(number) >= 10 and number[0] == "+" and number[1:].isdigit():
        return f"{number[:5]}****{number[-2:]}"
    return mask_number(number)


@lru_cache(maxsize=4096)
def _time(value: Any) -> str | None:
    """An ISO 8601 time to the second, in UTC when it has an offset (else as given); a poll's
    statuses share a few times, hence the cache."""
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return _text(value)
    if at.tzinfo is not None:
        return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _reason(item: Mapping[str, Any]) -> str | None:
    reason = _text(item.get("reason"))
    error = item.get("error")
    if isinstance(error, dict):
        detail = ", ".join(
            f"{label} {error[name]}"
            for name, label in (("error", ""), ("http_status", "HTTP"), ("code", "code"))
            if error.get(name) not in (None, "")
        )
        reason = f"{reason} ({detail.strip()})" if reason else detail.strip()
    return reason


def _number(value: Any) -> float:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else 0.0
    except (TypeError, ValueError):
        return 0.0


DeliveryIndex = dict[tuple[str, str], tuple[str, str | None]]


def delivery_index(statuses: Iterable[Mapping[str, Any]]) -> DeliveryIndex:
    """``(message_id, number)`` -> ``(state, updated_at)`` of a sensor's statuses (the numbers are
    only matched here, in memory, never kept in a :class:`Row`)."""
    return {
        (str(s.get("message_id")), str(s.get("recipient"))): (str(s.get("state")), s.get("updated_at"))
        for s in statuses
    }


def send_task(
    task_id: str, map_index: int, state: str | None, xcoms: Mapping[str, Any], delivery: DeliveryIndex
) -> TaskSms:
    """A send task's totals and rows from its XComs; ``delivery`` gives its rows' states."""
    totals, rows = Totals(), []
    for result in _items(xcoms.get(XCOM_RETURN_KEY)):
        totals.accepted += 1
        totals.segments += int(_number(result.get("segments")))
        vendor = str(result.get("vendor") or "")
        totals.cost[vendor] = totals.cost.get(vendor, 0.0) + _number(result.get("credits_used"))
        found = delivery.get((str(result.get("message_id")), str(result.get("recipient"))))
        delivery_state, at = found if found else (None, None)
        totals.funnel[delivery_state or "untracked"] += 1
        number = _masked(result.get("recipient"))
        rows.append(
            Row(_position(result), number, "accepted", None, delivery_state, _time(at) if at else None)
        )
    for key in OUTCOME_KEYS:
        for item in _items(xcoms.get(key)):
            outcome = key
            if key == "skipped" and str(item.get("reason", "")).startswith(_MERGED_PREFIX):
                outcome = "merged"
            setattr(totals, outcome, getattr(totals, outcome) + 1)
            rows.append(Row(_position(item), _masked(item.get("recipient")), outcome, _reason(item)))
    if rows and all(row.position is not None for row in rows):
        rows.sort(key=lambda row: row.position or 0)
    return TaskSms(task_id, map_index, "send", state, totals, tuple(rows))


def delivery_task(task_id: str, map_index: int, state: str | None, xcoms: Mapping[str, Any]) -> TaskSms:
    """A delivery sensor's totals (its funnel) and rows from its statuses."""
    totals, rows = Totals(), []
    for status in _items(xcoms.get(XCOM_RETURN_KEY)):
        delivery_state = str(status.get("state"))
        totals.tracked += 1
        totals.funnel[delivery_state] += 1
        rows.append(
            Row(
                _position(status),
                _masked(status.get("recipient")),
                "tracked",
                _text(status.get("vendor_state")),
                delivery_state,
                _time(status["updated_at"]) if status.get("updated_at") else None,
            )
        )
    return TaskSms(task_id, map_index, "delivery", state, totals, tuple(rows))


# ---------------------------------------------------------------------------- paging
def page_of(
    task: TaskSms, *, outcome: str = "", state: str = "", query: str = "", page: int = 1, size: int = 50
) -> Page:
    """Rows ``(page - 1) * size`` onwards of those matching every given filter (``query``: a
    position, part of the masked number or of the reason)."""
    query = query.strip().lower()

    def matches(row: Row) -> bool:
        if outcome and row.outcome != outcome:
            return False
        if state and (row.state or "untracked") != state:
            return False
        return not query or (
            query == str(row.position) or query in row.number.lower() or query in (row.reason or "").lower()
        )

    rows = task.rows if not (outcome or state or query) else [row for row in task.rows if matches(row)]
    size = max(1, min(size, 500))
    pages = max(1, -(-len(rows) // size))
    number = min(max(1, page), pages)
    return Page(rows[(number - 1) * size : number * size], len(rows), number, size)


# ---------------------------------------------------------------------------- database
@dataclass(frozen=True)
class TaskRef:
    """A task instance of a run as the views list it."""

    task_id: str
    map_index: int
    operator: str | None
    state: str | None

    @property
    def kind(self) -> str | None:
        if self.operator in SEND_OPERATORS:
            return "send"
        return "delivery" if self.operator in DELIVERY_OPERATORS else None


def run_tasks(session: Session, dag_id: str, run_id: str) -> list[TaskRef]:
    """The run's task instances (id, map index, operator, state), in task order."""
    from airflow.models.taskinstance import TaskInstance
    from sqlalchemy import select

    query = (
        select(TaskInstance.task_id, TaskInstance.map_index, TaskInstance.operator, TaskInstance.state)
        .where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
        .order_by(TaskInstance.task_id, TaskInstance.map_index)
    )
    return [TaskRef(t, m, o, None if s is None else str(s)) for t, m, o, s in session.execute(query)]


def _fingerprint(session: Session, dag_id: str, run_id: str, refs: Sequence[TaskRef]) -> tuple[Any, ...]:
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    query = (
        select(XComModel.task_id, XComModel.map_index, XComModel.key, XComModel.timestamp)
        .where(XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.key.in_(XCOM_KEYS))
        .where(XComModel.task_id.in_({ref.task_id for ref in refs}))
        .order_by(XComModel.task_id, XComModel.map_index, XComModel.key)
    )
    return tuple(tuple(row) for row in session.execute(query))


def _xcoms(session: Session, dag_id: str, run_id: str, ref: TaskRef) -> dict[str, Any]:
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    query = select(XComModel.key, XComModel.value).where(
        XComModel.dag_id == dag_id,
        XComModel.run_id == run_id,
        XComModel.task_id == ref.task_id,
        XComModel.map_index == ref.map_index,
        XComModel.key.in_(XCOM_KEYS),
    )
    return {key: _decode(value) for key, value in session.execute(query)}


class TaskCache:
    """Parsed :class:`TaskSms` per task instance, kept while its XComs (and the run's sensors')
    are unchanged; the least recently used goes first."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], TaskSms]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, session: Session, dag_id: str, run_id: str, ref: TaskRef, refs: Sequence[TaskRef]
    ) -> TaskSms:
        """``ref``'s SMS view (``refs``: every task instance of the run, for the delivery states)."""
        sensors = [r for r in refs if r.kind == "delivery"] if ref.kind != "delivery" else []
        fingerprint = _fingerprint(session, dag_id, run_id, [ref, *sensors])
        key = (dag_id, run_id, ref.task_id, ref.map_index, ref.state)
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] == fingerprint:
                self._entries.move_to_end(key)
                return found[1]
        with frozen_heap():  # 100,000 rows are a million objects: no full collections meanwhile
            task = self._parse(session, dag_id, run_id, ref, sensors)
        with self._lock:
            self._entries[key] = (fingerprint, task)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return task

    @staticmethod
    def _parse(
        session: Session, dag_id: str, run_id: str, ref: TaskRef, sensors: Sequence[TaskRef]
    ) -> TaskSms:
        xcoms = _xcoms(session, dag_id, run_id, ref)
        if ref.kind == "delivery":
            return delivery_task(ref.task_id, ref.map_index, ref.state, xcoms)
        index: DeliveryIndex = {}
        for sensor in sensors:
            index.update(delivery_index(_items(_xcoms(session, dag_id, run_id, sensor).get(XCOM_RETURN_KEY))))
        return send_task(ref.task_id, ref.map_index, ref.state, xcoms, index)


CACHE = TaskCache()


def sms_refs(session: Session, dag_id: str, run_id: str) -> list[TaskRef]:
    """The run's SMS task instances: by operator, or any task that pushed a send's XComs."""
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    refs = run_tasks(session, dag_id, run_id)
    query = select(XComModel.task_id, XComModel.map_index).where(
        XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.key == "unconfirmed"
    )
    sends = {(task_id, map_index) for task_id, map_index in session.execute(query)}
    found = []
    for ref in refs:
        if ref.kind is not None:
            found.append(ref)
        elif (ref.task_id, ref.map_index) in sends:
            found.append(TaskRef(ref.task_id, ref.map_index, "SmsSendOperator", ref.state))
    return found
