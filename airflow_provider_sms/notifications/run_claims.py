"""Once per DAG run: which callback of a run pages a number, agreed between the processes that run
callbacks (a task's on the worker, the DAG's on the dag-processor).

Where the claims live: Airflow Variables, the one key/value store that both a task's worker and the
dag-processor can read *and* write through the Task SDK on every Airflow 3 (XComs are read-only in
the dag-processor, ``task_state_store`` is one task instance's, neither process may open the
metadata database). Two Variables per run and number paged, ``sms_notifier_once.<dag>.<digest>``
(the claim) and the same with ``.paged`` (the winner's mark); their value names the callback that
paged (task, map index, try, time); the number itself is not stored, only an HMAC keyed by the run
(pseudonymisation, as in the send journal); the description names the run and the number masked.
Where Airflow can list Variables by prefix (3.3), each page also deletes up to ``TIDY_SAMPLE`` of
the DAG's claims older than ``KEEP_SECONDS``; before that they stay until deleted by hand.

Variables have no compare-and-set, so a claim is written, then confirmed:

1. read the number's claim and its ``.paged`` mark; either one there (not ours) means the run
   already paged that number, or a callback is about to: send nothing;
2. write our claim (a fresh token);
3. wait ``settle`` seconds, read the claim again: only the callback that reads its own token back
   has won; it writes the ``.paged`` mark, then sends.

The last writer's token is what everyone reads back, so one of the callbacks racing for a number
wins. Two could win only if a callback's write landed after another had confirmed and marked:
that needs it to take ``settle`` seconds or more between its read (1) and the end of its write (2).
Each callback measures that time on its own monotonic clock; when it is that long, it waits
``settle`` more and starts over from (1), where the winner's ``.paged`` mark stops it (the winner
writes it right after confirming). So a second page needs two stalls of ``settle`` seconds (the
slow callback's, and the winner's between confirming and marking).
When the claims cannot be read or written, the notifier sends anyway (a page that goes out twice
beats one that never does) and says so in the log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_sms.rules.numbers import mask_number

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

KEY_PREFIX = "sms_notifier_once"
#: What the winner's mark adds to the claim's key.
PAGED = ".paged"
#: Seconds between writing a claim and reading it back (and the longest read-to-write time that
#: still counts as one step).
SETTLE_SECONDS = 2.0
#: Claims older than this are deleted by a later page of the same DAG (where Variables can be listed).
KEEP_SECONDS = 7 * 24 * 3600
#: At most this many of the DAG's claims are looked at per page.
TIDY_SAMPLE = 50
#: Rounds of read / write / confirm before giving up and sending (only a process stalled for
#: ``settle`` seconds at each round gets that far).
ROUNDS = 4


class ClaimStore(Protocol):
    """Where claims live: shared by every process that runs the run's callbacks."""

    def get(self, key: str) -> str | None:
        """The stored value, ``None`` when there is none."""

    def set(self, key: str, value: str, description: str) -> None:
        """Store ``value`` under ``key`` (overwrites)."""

    def delete(self, key: str) -> None:
        """Forget ``key``."""

    def keys(self, prefix: str) -> list[str] | None:
        """The keys starting with ``prefix``; ``None`` when the store cannot list them."""


class VariableClaims:
    """Claims in Airflow Variables: through the Task SDK in a task's process and in the
    dag-processor's; in a process without the SDK's channel to its supervisor (``dag.test()``
    running the DAG's own callbacks), through the metadata database that process has."""

    kind = "variable"

    def __init__(self) -> None:
        self.through_sdk = _has_supervisor()

    def get(self, key: str) -> str | None:
        if self.through_sdk:
            from airflow.providers.common.compat.sdk import Variable

            value = Variable.get(key, default=None)
        else:
            from airflow.models.variable import Variable as DbVariable

            value = DbVariable.get(key, default_var=None)
        return value if isinstance(value, str) and value else None

    def set(self, key: str, value: str, description: str) -> None:
        self._api().set(key, value, description=description)

    def delete(self, key: str) -> None:
        self._api().delete(key)

    def keys(self, prefix: str) -> list[str] | None:
        api = self._api()
        return list(api.keys(prefix=prefix)) if self.through_sdk and hasattr(api, "keys") else None

    def _api(self) -> Any:
        if self.through_sdk:
            from airflow.providers.common.compat.sdk import Variable

            return Variable
        from airflow.models.variable import Variable as DbVariable

        return DbVariable


def _has_supervisor() -> bool:
    """Whether this process talks to a supervisor (a task's, the dag-processor's)."""
    try:
        from airflow.sdk.execution_time.task_runner import SUPERVISOR_COMMS  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Caller:
    """The callback asking: ``task`` is the task id, or ``"DAG"`` for a DAG-level callback."""

    task: str
    map_index: int = -1
    try_number: int | None = None

    def describe(self) -> str:
        where = self.task if self.map_index < 0 else f"{self.task}[{self.map_index}]"
        return where if self.try_number is None else f"{where} try {self.try_number}"

    def holds(self, claim: Mapping[str, Any]) -> bool:
        """Whether ``claim`` was written by this same callback (same task, map index and try)."""
        return (claim.get("task"), claim.get("map_index"), claim.get("try")) == (
            self.task,
            self.map_index,
            self.try_number,
        )


@dataclass
class Claims:
    """The outcome for a notification's numbers: ``won`` are sent, ``taken`` (number -> the claim
    that paged it) are not, ``unchecked`` are sent because the claims could not be used."""

    won: list[str] = field(default_factory=list)
    taken: dict[str, dict[str, Any]] = field(default_factory=dict)
    unchecked: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)


class RunClaims:
    """The claims of one DAG run.

    :param store: where claims live (:class:`VariableClaims` in Airflow).
    :param dag_id: the run's DAG.
    :param run_id: the run.
    :param settle: seconds between a write and its confirmation.
    """

    def __init__(
        self,
        store: ClaimStore,
        dag_id: str,
        run_id: str,
        *,
        settle: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store, self.dag_id, self.run_id = store, dag_id, run_id
        self.settle, self.clock, self.sleep = settle, clock, sleep
        self._key = f"{dag_id}/{run_id}".encode()
        self.prefix = f"{KEY_PREFIX}.{hashlib.sha256(dag_id.encode()).hexdigest()[:12]}."

    def key(self, number: str) -> str:
        """The Variable key of ``number``'s claim in this run (no number in it)."""
        return self.prefix + hmac.new(self._key, number.encode(), hashlib.sha256).hexdigest()[:24]

    def tidy(self, now: datetime | None = None) -> int:
        """Delete up to ``TIDY_SAMPLE`` of this DAG's claims older than ``KEEP_SECONDS`` (where the
        store can list keys); return how many. Never raises."""
        now = now or datetime.now(timezone.utc)
        deleted = 0
        try:
            keys = self.store.keys(self.prefix)
            for key in random.sample(keys, min(TIDY_SAMPLE, len(keys))) if keys else ():
                at = (self._read(key) or {}).get("at")
                if isinstance(at, str) and (now - datetime.fromisoformat(at)).total_seconds() > KEEP_SECONDS:
                    self.store.delete(key)
                    deleted += 1
        except Exception as exc:
            log.warning("SMS notification: old claims not tidied (%s)", type(exc).__name__)
        return deleted

    def claim(self, numbers: list[str], caller: Caller) -> Claims:
        """Claim ``numbers`` for ``caller`` (see the module doc); never raises for the store."""
        result, todo, mine = Claims(), list(numbers), set[str]()
        try:
            for _ in range(ROUNDS):
                todo = self._round(todo, caller, result, mine)
                if not todo:
                    return result
        except Exception as exc:  # the store failed: page rather than stay silent
            log.warning("SMS notification: the run's claims could not be used (%s)", type(exc).__name__)
        result.unchecked = [n for n in todo if n not in result.won and n not in result.taken]
        if result.unchecked:
            log.warning(
                "SMS notification: %d number(s) sent without the once-per-run check", len(result.unchecked)
            )
        return result

    def _round(self, todo: list[str], caller: Caller, result: Claims, mine: set[str]) -> list[str]:
        """One read / write / confirm; return the numbers to try again."""
        started = self.clock()
        free = []
        for number in todo:
            claim = self._read(self.key(number) + PAGED) or self._read(self.key(number))
            if claim is None or claim.get("token") in mine:
                free.append(number)
            else:
                result.taken[number] = claim
        if not free:
            return []
        token = uuid.uuid4().hex
        mine.add(token)
        value = json.dumps({"token": token, **self._holder(caller)}, separators=(",", ":"))
        for number in free:
            self.store.set(self.key(number), value, self._description(number))
        slow = self.clock() - started >= self.settle
        self.sleep(self.settle)
        if slow:  # someone may have won meanwhile: read again (their mark stops us)
            return free
        for number in free:
            claim = self._read(self.key(number)) or {}
            if claim.get("token") == token:
                self.store.set(self.key(number) + PAGED, value, self._description(number))
                result.won.append(number)
                result.tokens[number] = token
            else:
                result.taken[number] = claim
        return []

    def release(self, number: str, token: str) -> None:
        """Give back a claim whose SMS did not go out (if it is still ours), so that a later
        callback of the run can page."""
        try:
            if (self._read(self.key(number) + PAGED) or {}).get("token") == token:
                self.store.delete(self.key(number) + PAGED)
                self.store.delete(self.key(number))
        except Exception as exc:
            log.warning("SMS notification: a claim could not be released (%s)", type(exc).__name__)

    def _read(self, key: str) -> dict[str, Any] | None:
        raw = self.store.get(key)
        value = json.loads(raw) if raw else None
        return value if isinstance(value, dict) else None

    @staticmethod
    def _holder(caller: Caller) -> dict[str, Any]:
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return {"task": caller.task, "map_index": caller.map_index, "try": caller.try_number, "at": at}

    def _description(self, number: str) -> str:
        return (
            f"airflow-provider-sms notifier: {self.dag_id} run {self.run_id} paged {mask_number(number)} "
            "(once_per_run; safe to delete once the run is over)"
        )


class MemoryClaims:
    """Claims in a dict, for one process (tests, and a notifier called outside Airflow)."""

    kind = "memory"

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str, description: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)

    def keys(self, prefix: str) -> list[str] | None:
        return sorted(key for key in self.values if key.startswith(prefix))
