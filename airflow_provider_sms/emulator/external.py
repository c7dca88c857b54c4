"""Facts a test plants in the gateway: messages another system sent, and state changes.

``GatewayEmulator.inject_message`` (or ``POST /_emulator/messages``) records a message to a number
as if another application on the same account had sent it, at a chosen time: Primotexto then
reports it by its snapshot id and, when it is the latest to that number, by ``identifier``; SMS
Partner lists it under its tag. ``GatewayEmulator.set_message_state`` (or
``POST /_emulator/messages/state``) moves any message to a state at a chosen time.
"""

from __future__ import annotations

import math
import time
from typing import Any

from airflow_provider_sms.emulator.encoding import primotexto_segments, smspartner_length
from airflow_provider_sms.emulator.numbers import FATES, Fate, parse_number
from airflow_provider_sms.emulator.smspartner import unit_cost
from airflow_provider_sms.emulator.state import PRIMOTEXTO, SMSPARTNER, VENDORS, EmulatorState, Message

#: States a test can give, and the fate each stands for: ``pending`` is never final (unless changed).
_FATE_OF: dict[str, Fate] = {
    "pending": "never",
    "delivered": "delivered",
    "bounced": "bounced",
    "error": "error",
    "unsubscribed": "unsubscribed",
}
STATES = tuple(_FATE_OF)
DEFAULT_TEXT = "Message from another system"


def inject_message(
    state: EmulatorState,
    vendor: str,
    number: str,
    *,
    text: str = DEFAULT_TEXT,
    seconds_ago: float = 0.0,
    state_name: str | None = None,
    category: str | None = None,
    sender: str | None = None,
) -> dict[str, Any]:
    """Record a message another system sent to ``number`` ``seconds_ago`` seconds ago; not charged.

    :param state_name: ``None``: the number's usual fate, final ``delivery_delay`` after the
        message's time; ``pending``: never final; a final state: in it since the message's time.
    :param category: Primotexto category / SMS Partner tag.
    :returns: the message as ``GET /_emulator/messages`` shows it (``message_id`` included).
    :raises ValueError: bad vendor, number, time, state or text.
    """
    e164 = _check_message(vendor, number, text, seconds_ago, category, sender)
    _check_state(state_name)
    at = time.time() - seconds_ago
    with state.lock:
        if vendor == PRIMOTEXTO:
            message_id, segments, cost = state.next_snapshot_id(), primotexto_segments(text), None
        else:
            message_id, segments = str(state.next_send_id()), smspartner_length(text, False)[1]
            cost = unit_cost(segments)
        fate, due_at = _fate(state, e164, state_name, at)
        message = Message(
            vendor=vendor,
            message_id=message_id,
            recipient=e164,
            text=text,
            sender=sender,
            category=category,
            accepted_at=at,
            start_at=at,
            due_at=due_at,
            fate=fate,
            segments=segments,
            cost=float(segments) if cost is None else cost,
        )
        state.add_message(message)
        return message.to_record(time.time())


def set_message_state(
    state: EmulatorState,
    vendor: str,
    message_id: str | int,
    state_name: str,
    *,
    number: str | None = None,
    seconds_ago: float = 0.0,
) -> dict[str, Any]:
    """Put a message in ``state_name`` as of ``seconds_ago`` seconds ago (negative: in the future;
    it is pending until then). ``pending`` makes it pending for good.

    :param number: the recipient; needed on SMS Partner when the send has several.
    :returns: the message as ``GET /_emulator/messages`` shows it.
    :raises LookupError: no such message. :raises ValueError: bad argument.
    """
    if vendor not in VENDORS:
        raise ValueError(f"vendor must be one of {', '.join(VENDORS)}; got {vendor!r}")
    if state_name is None:
        raise ValueError("state is required")
    if message_id is None or message_id == "" or isinstance(message_id, bool):
        raise ValueError("message_id is required")
    _check_state(state_name)
    _check_number("seconds_ago", seconds_ago, signed=True)
    fate = _FATE_OF[state_name]
    at = time.time() - seconds_ago
    with state.lock:
        message = _find(state, vendor, str(message_id), number)
        message.fate, message.due_at = fate, None if fate == "never" else at
        return message.to_record(time.time())


def _find(state: EmulatorState, vendor: str, message_id: str, number: str | None) -> Message:
    """The message ``message_id`` (to ``number``) of ``vendor`` (caller holds the lock)."""
    if vendor == PRIMOTEXTO:
        found = state.snapshots.get(message_id)
        if found is None:
            raise LookupError(f"no Primotexto message with snapshot id {message_id!r}")
        return found
    send = state.sends.get(int(message_id)) if message_id.isdigit() else None
    if not send:
        raise LookupError(f"no SMS Partner send with message id {message_id!r}")
    if number is None:
        if len(send) > 1:
            raise ValueError("number is required: that send has several recipients")
        return next(iter(send.values()))
    found = send.get(parse_number(number).e164)
    if found is None:
        raise LookupError(f"send {message_id} has no message to {number!r}")
    return found


def _fate(state: EmulatorState, e164: str, state_name: str | None, at: float) -> tuple[Fate, float | None]:
    """Final outcome and when it is reached, for a message of time ``at``."""
    if state_name is None:
        fate = FATES.get(e164, "delivered")
        return fate, state.due_at(at, fate)
    fate = _FATE_OF[state_name]
    return fate, None if fate == "never" else at


def _check_message(
    vendor: str, number: str, text: str, seconds_ago: float, category: str | None, sender: str | None
) -> str:
    """Validate an injected message's fields; returns the number in E.164."""
    if vendor not in (PRIMOTEXTO, SMSPARTNER):
        raise ValueError(f"vendor must be one of {', '.join(VENDORS)}; got {vendor!r}")
    parsed = parse_number(number)
    if parsed.kind != "mobile":
        raise ValueError(f"number must be a mobile number; got {number!r}")
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty string")
    _check_number("seconds_ago", seconds_ago, signed=False)
    for name, value in (("category", category), ("sender", sender)):
        if value is not None and (not isinstance(value, str) or not value):
            raise ValueError(f"{name} must be a non-empty string or null")
    return parsed.e164


def _check_state(state_name: str | None) -> None:
    if state_name is not None and state_name not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}; got {state_name!r}")


def _check_number(name: str, value: object, *, signed: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    if not signed and value < 0:
        raise ValueError(f"{name} must be >= 0; got {value!r}")
