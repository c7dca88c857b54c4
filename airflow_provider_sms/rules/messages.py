"""What the delivery sensor is asked to track: every shape a DAG author may hand over, read once.

:func:`normalize_messages` turns ``SmsSendOperator`` output (also from a mapped send), dicts,
``SendResult`` / ``DeliveryStatus`` objects, bare message ids and JSON or Python-literal text of
any of these into one list of ``{"message_id", "recipient"}`` dicts; :func:`check_failure_states`
checks the sensor's ``failure_states`` when the DAG is parsed. Pure functions: no network, no
Airflow.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.model.results import FINAL_STATES
from airflow_provider_sms.rules.numbers import mask_number, normalize_number

#: One tracked message: ``{"message_id": str, "recipient": E.164 str | None}``.
MessageRef = dict[str, Any]
#: The identity of one tracked message: ``(message_id, recipient)``.
RefKey = tuple[str, str | None]


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
    A ``category`` is kept (it lets the tracker read a send's figures first), and so are a
    personalised send's ``key`` and ``position`` (the sensor's statuses carry them).
    Recipients are normalised to E.164 so they match the gateway's replies; duplicate
    ``(message_id, recipient)`` pairs are dropped, order is kept.

    :raises SmsValidationError: listing every entry that has no message id, an unreadable number
        or an unsupported type (numbers masked).
    """
    problems: list[str] = []
    refs: dict[RefKey, MessageRef] = {}
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
        ref: MessageRef = {"message_id": key[0], "recipient": number}
        if item.get("category"):
            ref["category"] = str(item["category"])
        if item.get("position") is not None:  # a row of a personalised send: its labels go along
            ref["key"], ref["position"] = item.get("key"), item["position"]
        refs.setdefault(key, ref)
    if problems:
        raise SmsValidationError(problems)
    return list(refs.values())


def ref_key(item: Mapping[str, Any]) -> RefKey:
    """The identity of one tracked message (a ref or a status dict): ``(message_id, recipient)``."""
    message_id = item.get("message_id")
    return (str(message_id) if message_id is not None else "", item.get("recipient") or None)
