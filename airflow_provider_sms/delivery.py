"""What the delivery sensor tracks and where it stands: pure functions, no I/O.

:class:`~airflow_provider_sms.sensors.delivery.SmsDeliverySensor` (``poke()``) and
:class:`~airflow_provider_sms.triggers.delivery.SmsDeliveryTrigger` (``run()``) both call
:func:`classify`, so the poke path and the deferred path cannot disagree on when a set of messages is
done, succeeded or failed. :func:`normalize_messages` turns whatever the DAG author hands the sensor
(``SmsSendOperator`` output, mapped output, ids, JSON text) into one list of
``{"message_id", "recipient"}`` dicts.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.message import mask_number, normalize_number
from airflow_provider_sms.results import FINAL_STATES, DeliveryStatus

#: States that fail the sensor unless the DAG author says otherwise.
DEFAULT_FAILURE_STATES: tuple[str, ...] = ("error", "bounced", "unsubscribed")
#: Shortest pause between two polls of the trigger, whatever ``poke_interval`` says (no hot loop).
MIN_POLL_INTERVAL = 0.1
#: Default cap, in seconds, of the trigger's backoff after rate limits and transient failures.
DEFAULT_MAX_BACKOFF = 60.0
#: How many failed messages a failure message names before it says "and N more".
MAX_LISTED = 20

Verdict = Literal["pending", "success", "failure"]
MessageRef = dict[str, Any]


# ---------------------------------------------------------------------------------------------- input
def check_failure_states(failure_states: Iterable[str] | None) -> tuple[str, ...]:
    """Return ``failure_states`` as a tuple; refuse states that can never be final.

    ``None`` or ``()`` means "no state fails the sensor": it succeeds once every message is final.
    """
    if failure_states is None:
        return ()
    if isinstance(failure_states, str):
        failure_states = (failure_states,)
    states = tuple(dict.fromkeys(str(s) for s in failure_states))
    unknown = [s for s in states if s not in FINAL_STATES]
    if unknown:
        raise SmsValidationError(
            [
                f"failure_states may only hold final states ({', '.join(sorted(FINAL_STATES))}); "
                f"got {', '.join(repr(s) for s in unknown)}"
            ]
        )
    return states


def _parse_text(text: str) -> Any:
    """JSON text, else a Python literal (what ``{{ ti.xcom_pull(...) }}`` renders), else ids."""
    stripped = text.strip()
    if not stripped:
        return []
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(stripped)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    # Not structured text: one id, or ids separated by commas / whitespace.
    return [part for part in stripped.replace(",", " ").split() if part]


def _items(value: Any) -> list[Any]:
    """Flatten ``value`` into single entries: a list of lists (mapped sends) loses one level."""
    if isinstance(value, str):
        value = _parse_text(value)
    if value is None:
        return []
    if isinstance(value, Mapping) or hasattr(value, "to_dict") or isinstance(value, (int, str)):
        return [value]
    flat: list[Any] = []
    for item in value:  # lists, tuples and Airflow's lazy XCom sequences
        if isinstance(item, str) and item.strip()[:1] in ("[", "{"):
            item = _parse_text(item)
        if isinstance(item, (list, tuple)):
            flat.extend(item)
        else:
            flat.append(item)
    return flat


def normalize_messages(value: Any) -> list[MessageRef]:
    """Turn what the sensor was given into ``[{"message_id": str, "recipient": E.164 | None}]``.

    Accepted: ``SmsSendOperator`` output (a list of ``SendResult`` dicts), the output of a mapped
    send (a list of such lists: flattened one level), a single dict, dicts with ``message_id`` (and
    ``recipient``), ``SendResult`` / ``DeliveryStatus`` objects, bare message ids (Primotexto only:
    SMS Partner needs the number too), and JSON (or Python-literal) text of any of these.
    Recipients are normalised to E.164 so they match the gateway's replies; duplicate
    ``(message_id, recipient)`` pairs are dropped, order is kept.

    :raises SmsValidationError: listing every entry that has no message id, an unreadable number
        or an unsupported type (numbers masked).
    """
    problems: list[str] = []
    refs: dict[tuple[str, str | None], MessageRef] = {}
    for index, item in enumerate(_items(value)):
        if hasattr(item, "to_dict") and not isinstance(item, Mapping):
            item = item.to_dict()
        if isinstance(item, bool) or not isinstance(item, (Mapping, str, int)):
            problems.append(f"entry {index}: expected a dict or a message id, got {type(item).__name__}")
            continue
        if not isinstance(item, Mapping):
            item = {"message_id": item}
        message_id = item.get("message_id")
        if message_id is None or not str(message_id).strip():
            problems.append(f"entry {index}: no message_id")
            continue
        recipient = item.get("recipient")
        number: str | None = None
        if recipient not in (None, ""):
            try:
                number = normalize_number(str(recipient))
            except ValueError as exc:
                problems.append(f"entry {index}: recipient {mask_number(str(recipient))}: {exc}")
                continue
        key = (str(message_id).strip(), number)
        refs.setdefault(key, {"message_id": key[0], "recipient": number})
    if problems:
        raise SmsValidationError(problems)
    return list(refs.values())


def ref_key(item: Mapping[str, Any]) -> tuple[str, str | None]:
    """The identity of one tracked message: ``(message_id, recipient)``."""
    message_id = item.get("message_id")
    return (str(message_id) if message_id is not None else "", item.get("recipient") or None)


# ---------------------------------------------------------------------------------------------- verdict
def as_status(item: DeliveryStatus | Mapping[str, Any]) -> DeliveryStatus:
    """Accept a :class:`DeliveryStatus` or its ``to_dict()`` form."""
    if isinstance(item, DeliveryStatus):
        return item
    return DeliveryStatus.from_dict(dict(item))


@dataclass(frozen=True)
class DeliveryOutcome:
    """Where a set of tracked messages stands.

    :param verdict: ``pending`` while any message is not final; then ``failure`` when any final
        state is in ``failure_states``, else ``success``.
    :param statuses: every status, in input order.
    :param pending: the statuses that are not final yet.
    :param failed: the final statuses whose state is a failure state.
    """

    verdict: Verdict
    statuses: tuple[DeliveryStatus, ...] = ()
    pending: tuple[DeliveryStatus, ...] = ()
    failed: tuple[DeliveryStatus, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """True once every message is final."""
        return self.verdict != "pending"

    def to_dicts(self) -> list[dict[str, Any]]:
        """The statuses as JSON-ready dicts (what goes to XCom and into trigger events)."""
        return [s.to_dict() for s in self.statuses]


def classify(
    statuses: Iterable[DeliveryStatus | Mapping[str, Any]],
    failure_states: Iterable[str] = DEFAULT_FAILURE_STATES,
) -> DeliveryOutcome:
    """Decide whether the tracked messages are done: the one rule the sensor and the trigger share.

    The sensor finishes only when **every** message is final. Then it fails when any of them ended in
    one of ``failure_states``, and succeeds otherwise (so ``failure_states=()`` means "succeed once
    all are final, whatever the outcome"). An empty set of messages is a success.
    """
    items = tuple(as_status(s) for s in statuses)
    fail_on = frozenset(failure_states)
    counts: dict[str, int] = {}
    for status in items:
        counts[status.state] = counts.get(status.state, 0) + 1
    pending = tuple(s for s in items if not s.is_final)
    if pending:
        return DeliveryOutcome("pending", items, pending, (), counts)
    failed = tuple(s for s in items if s.state in fail_on)
    return DeliveryOutcome("failure" if failed else "success", items, (), failed, counts)


def describe_counts(outcome: DeliveryOutcome) -> str:
    """``"3 delivered, 1 bounced, 2 pending"`` (no numbers, safe to log)."""
    if not outcome.counts:
        return "no messages"
    return ", ".join(f"{n} {state}" for state, n in sorted(outcome.counts.items()))


def failure_summary(outcome: DeliveryOutcome, limit: int = MAX_LISTED) -> str:
    """Say which messages failed, numbers masked (for the exception text and the log)."""
    failed = outcome.failed
    listed = [
        f"{mask_number(s.recipient) if s.recipient else '<no number>'} "
        f"(message {s.message_id}): {s.state}" + (f" [{s.vendor_state}]" if s.vendor_state else "")
        for s in failed[:limit]
    ]
    if len(failed) > limit:
        listed.append(f"... and {len(failed) - limit} more")
    return (
        f"{len(failed)} of {len(outcome.statuses)} SMS ended in a failure state "
        f"({describe_counts(outcome)}): " + "; ".join(listed)
    )


def merge_statuses(
    messages: Iterable[Mapping[str, Any]],
    *known: Iterable[DeliveryStatus | Mapping[str, Any]],
) -> list[DeliveryStatus]:
    """Statuses for ``messages`` in their order, taking the latest known status of each.

    Later sources win. A message no source knows about is ``pending``.
    """
    latest: dict[tuple[str, str | None], DeliveryStatus] = {}
    for source in known:
        for item in source:
            status = as_status(item)
            latest[ref_key(status.to_dict())] = status
    result = []
    for message in messages:
        key = ref_key(message)
        result.append(latest.get(key) or DeliveryStatus(key[0], key[1], "pending"))
    return result
