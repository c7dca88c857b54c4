"""What a send task's retry journal knows while the task is still at work, for the SMS view.

Read-only, in the api-server, with the view's session: the parts the send operator wrote (see
:mod:`~airflow_provider_sms.toolkit.task_store`) from the latest snapshot on, in Airflow 3.3's
``task_state_store`` table, else in the Variables of Airflow 3.0 to 3.2. The parts are folded with
:func:`~airflow_provider_sms.sending.journal_parts.apply_part`, as the next try would fold them,
into totals only: the journal holds a keyed hash per recipient, never a number, so no row can be
shown. A missing, partial or unreadable journal folds as far as it is readable (``None``: nothing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

#: Task states after which a send's XComs are final (its journal is not read then).
FINISHED_STATES = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})
_HEAD = "head"
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


def fold(stored: Mapping[str, Any], store: str) -> Progress | None:
    """Fold ``stored`` (key suffix -> stored value: ``"head"``, ``"0"``, ``"1"``, ...) from the head
    on, part after part, until a part is missing or unreadable; ``None`` when none was folded."""
    entries: dict[str, JournalEntry] = {}
    not_sent: set[str] = set()
    try_number: int | None = None
    planned: int | None = None
    start = part = head_part(_decoded(stored.get(_HEAD)))
    while (value := _decoded(stored.get(str(part)))) is not None:
        try:
            apply_part(entries, value)
            not_sent.update(part_field(value, NOT_SENT_KEY) or ())
        except (TypeError, ValueError, AttributeError):
            break  # written by something else, or cut short: show what came before
        number = value.get(TRY)
        if isinstance(number, int) and (try_number is None or number >= try_number):
            planned = planned if number == try_number else None
            try_number = number
            found = value.get(PLANNED_KEY)
            planned = found if isinstance(found, int) and not isinstance(found, bool) else planned
        part += 1
    if part == start:
        return None
    accepted = in_flight = 0
    for entry in entries.values():
        if entry.status == ACCEPTED:
            accepted += 1
        elif entry.in_flight:
            in_flight += 1
    unknown = len(entries) - accepted - in_flight
    return Progress(
        accepted,
        in_flight,
        unknown,
        len(not_sent.difference(entries)),
        try_number,
        planned,
        part - start,
        store,
    )


def _suffixes(rows: Any, prefix: str) -> dict[str, Any]:
    """``(key, value)`` rows as key suffix -> value, for the keys right under ``prefix``."""
    found = {}
    for key, value in rows:
        suffix = key[len(prefix) + 1 :] if key.startswith(prefix + ".") else ""
        if suffix == _HEAD or suffix.isdigit():
            found[suffix] = value
    return found


def _task_state_store(session: Session, scope: tuple[str, str, str, int]) -> dict[str, Any]:
    """The journal's rows in the ``task_state_store`` table (Airflow 3.3+; empty before)."""
    try:
        from airflow.models.task_state_store import TaskStateStoreModel
    except ImportError:
        return {}
    from sqlalchemy import select

    dag_id, run_id, task_id, map_index = scope
    model = TaskStateStoreModel
    query = select(model.key, model.value).where(
        model.dag_id == dag_id,
        model.run_id == run_id,
        model.task_id == task_id,
        model.map_index == map_index,
        model.key.like(f"{KEY_PREFIX}.%"),
    )
    return _suffixes(session.execute(query), KEY_PREFIX)


def _variables(session: Session, scope: tuple[str, str, str, int]) -> dict[str, Any]:
    """The journal's Variables (the fallback of Airflow 3.0 to 3.2), decrypted as Airflow does."""
    from airflow.models.variable import Variable
    from sqlalchemy import select

    prefix = VariableStore(scope).key_prefix
    found = session.scalars(select(Variable).where(Variable.key.like(f"{prefix}.%")))
    return _suffixes(((variable.key, variable.val) for variable in found), prefix)


def read_progress(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int
) -> Progress | None:
    """What the journal of a task instance says so far (never written here); ``None``: nothing."""
    scope = (dag_id, run_id, task_id, map_index)
    stored = _task_state_store(session, scope)
    if stored:
        return fold(stored, "task_state_store")
    stored = _variables(session, scope)
    return fold(stored, "variable") if stored else None
