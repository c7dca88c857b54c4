"""Where the send operator's retry journal lives: a durable key/value store scoped to one task
instance, so a retry (or the try after a worker crash) reads what earlier tries wrote.

* Airflow >= 3.3: the task's ``task_state_store``, which survives retries (XComs do not: they are
  cleared before every try). Kept after success for observability, subject to
  ``[state_store] default_retention_days`` and ``clear_on_success``.
* Airflow 3.0 to 3.2: Airflow Variables (the only durable key/value store a task can write through
  the Task SDK on those versions), deleted when the task succeeds.

Parts are written under sequential keys (``sms_send_journal.0``, ``.1``, ...) and never rewritten;
``sms_send_journal.head`` names the part a reader starts from (the latest snapshot). The delivery
sensor keeps its reschedule-mode memory in the same stores under another ``prefix``.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from airflow.sdk import Context

KEY_PREFIX = "sms_send_journal"


class TaskStore(Protocol):
    """Where journal parts live: a durable key/value store scoped to one task instance."""

    kind: str

    def read(self, part: int) -> dict[str, Any] | None:
        """Return part ``part``, or ``None`` when it does not exist."""

    def write(self, part: int, value: dict[str, Any]) -> None:
        """Store part ``part`` (never rewritten once written)."""

    def discard(self, parts: int) -> None:
        """Forget parts ``0 .. parts-1`` (called after the task succeeded)."""

    def read_head(self) -> int:
        """The part a reader starts from (the latest snapshot), 0 when none was written."""

    def write_head(self, part: int) -> None:
        """Point readers at part ``part`` (a snapshot that holds all earlier state)."""


class TaskStateStore:
    """Journal parts in Airflow 3.3's ``task_state_store`` (kept after success, see module doc).

    :param accessor: ``context["task_state_store"]`` (``get(key, default)`` / ``set(key, value)``).
    :param prefix: what the keys start with.
    """

    kind = "task_state_store"

    def __init__(self, accessor: Any, prefix: str = KEY_PREFIX) -> None:
        self._store = accessor
        self._prefix = prefix

    def read(self, part: int) -> dict[str, Any] | None:
        value = self._store.get(f"{self._prefix}.{part}", None)
        return value if isinstance(value, dict) else None

    def write(self, part: int, value: dict[str, Any]) -> None:
        self._store.set(f"{self._prefix}.{part}", value)

    def read_head(self) -> int:
        return head_part(self._store.get(f"{self._prefix}.head", None))

    def write_head(self, part: int) -> None:
        self._store.set(f"{self._prefix}.head", {"part": part})

    def discard(self, parts: int) -> None:
        """Keep the parts: the store's retention settings govern them (observable in the UI)."""


class MemoryStore:
    """Parts kept in memory only, for a send that is never retried (a callback's)."""

    kind = "memory"

    def __init__(self) -> None:
        self._parts: dict[int, dict[str, Any]] = {}
        self._head = 0

    def read(self, part: int) -> dict[str, Any] | None:
        return self._parts.get(part)

    def write(self, part: int, value: dict[str, Any]) -> None:
        self._parts[part] = value

    def read_head(self) -> int:
        return self._head

    def write_head(self, part: int) -> None:
        self._head = part

    def discard(self, parts: int) -> None:
        self._parts.clear()


class VariableStore:
    """Journal parts in Airflow Variables, for Airflow 3.0 to 3.2 (deleted after success).

    Keys are ``sms_send_journal.<digest>.<part>`` where ``digest`` is a SHA-256 prefix of the
    scope, so they stay short whatever the run id; the Variable's description names the scope.

    :param scope: ``(dag_id, run_id, task_id, map_index)``.
    :param prefix: what the keys start with.
    :param purpose: what the Variables hold, for their description.
    """

    kind = "variable"

    def __init__(
        self, scope: tuple[str, str, str, int], prefix: str = KEY_PREFIX, purpose: str = "retry journal"
    ) -> None:
        label = "/".join(str(p) for p in scope)
        digest = hashlib.sha256(label.encode()).hexdigest()[:24]
        self.key_prefix = f"{prefix}.{digest}"
        self._description = f"airflow-provider-sms {purpose} of {label} (safe to delete once it succeeded)"

    def key(self, part: int) -> str:
        """The Variable key of part ``part``."""
        return f"{self.key_prefix}.{part}"

    def head_key(self) -> str:
        """The Variable key of the head (which part a reader starts from)."""
        return f"{self.key_prefix}.head"

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

    def read_head(self) -> int:
        from airflow.providers.common.compat.sdk import Variable

        raw = Variable.get(self.head_key(), default=None)
        return head_part(json.loads(raw) if isinstance(raw, str) and raw else raw)

    def write_head(self, part: int) -> None:
        from airflow.providers.common.compat.sdk import Variable

        Variable.set(self.head_key(), json.dumps({"part": part}), description=self._description)

    def discard(self, parts: int) -> None:
        from airflow.providers.common.compat.sdk import Variable

        for part in range(parts):
            Variable.delete(self.key(part))
        Variable.delete(self.head_key())


def head_part(value: Any) -> int:
    """The part a head value (``{"part": n}``) names, 0 when it names none."""
    part = value.get("part") if isinstance(value, dict) else None
    return part if isinstance(part, int) and part >= 0 else 0


def _task_state_store(context: Context) -> Any:
    """``context["task_state_store"]`` on Airflow >= 3.3, ``None`` before (a seam for tests)."""
    return context.get("task_state_store")  # type: ignore[misc]


def scope_of(context: Context) -> tuple[str, str, str, int]:
    """``(dag_id, run_id, task_id, map_index)`` of the running task instance."""
    ti = context["ti"]
    map_index = getattr(ti, "map_index", None)
    return (ti.dag_id, ti.run_id, ti.task_id, -1 if map_index is None else int(map_index))


def store_for(context: Context, prefix: str = KEY_PREFIX, purpose: str = "retry journal") -> TaskStore:
    """The durable store for this task instance: ``task_state_store`` if present, else Variables."""
    accessor = _task_state_store(context)
    if accessor is not None:
        return TaskStateStore(accessor, prefix)
    return VariableStore(scope_of(context), prefix, purpose)
