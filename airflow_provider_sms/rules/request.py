"""A whole send request checked at once: recipients, text, sender and schedule.

The generic rules live here; what one gateway adds (its characters, its segment ceiling, its
schedule step) comes from the hook, through the :class:`GatewayRules` protocol every
:class:`~airflow_provider_sms.hooks.base.SmsHook` implements. Every problem is reported in one
:class:`~airflow_provider_sms.exceptions.SmsValidationError`; problem texts never hold a raw phone
number (only masked ones) nor the message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.rules.inputs import ON_INVALID, check_recipients
from airflow_provider_sms.rules.schedule import parse_send_at, send_at_problems
from airflow_provider_sms.rules.text import SegmentInfo, describe_chars, shorten

if TYPE_CHECKING:
    from datetime import datetime

    from airflow_provider_sms.rules.inputs import OnInvalid


class GatewayRules(Protocol):
    """What a gateway adds to the generic rules (implemented by every SMS hook)."""

    def message_problems(self, text: object) -> list[str]:
        """Everything the gateway would refuse in ``text``; empty when fine."""
        ...

    def schedule_problems(self, when: datetime) -> list[str]:
        """Everything the gateway would refuse in a schedule (``when`` is aware UTC)."""
        ...

    def segments_of(self, text: str) -> SegmentInfo:
        """How ``text`` travels on this gateway."""
        ...


@dataclass(frozen=True)
class ValidatedSend:
    """A send request that passed :func:`validate_send`.

    :param recipients: E.164 numbers, de-duplicated, in input order.
    :param invalid: ``{"index", "recipient" (masked), "reason"}`` per skipped number
        (``on_invalid="skip"`` only).
    :param duplicates: inputs dropped because an earlier one had the same E.164 number.
    :param segments: how the message travels.
    :param send_at: the schedule in UTC, or ``None`` for now.
    """

    recipients: tuple[str, ...]
    invalid: tuple[dict[str, Any], ...]
    duplicates: int
    segments: SegmentInfo
    send_at: datetime | None


def sender_problems(sender: object) -> list[str]:
    """List what is wrong with ``sender`` (``None`` means the gateway's default short code).

    Both gateways take 3 to 11 ASCII letters or digits, not all digits.
    """
    if sender is None:
        return []
    if not isinstance(sender, str):
        return [f"sender must be a string, got {type(sender).__name__}"]
    shown = repr(shorten(sender))
    problems = []
    if len(sender) < 3:
        problems.append(f"sender {shown} is too short: {len(sender)} characters, 3 to 11 needed")
    elif len(sender) > 11:
        problems.append(f"sender {shown} is too long: {len(sender)} characters, 3 to 11 allowed")
    bad = [c for c in sender if not (c.isascii() and c.isalnum())]
    if bad:
        problems.append(f"sender {shown} may only hold ASCII letters and digits, not {describe_chars(bad)}")
    elif sender.isdigit():
        problems.append(f"sender {shown} is all digits; it needs at least one letter")
    return problems


def validate_send(
    recipients: object,
    message: object,
    *,
    gateway: GatewayRules,
    sender: object = None,
    send_at: object = None,
    on_invalid: OnInvalid | str = "fail",
    now: datetime | None = None,
) -> ValidatedSend:
    """Check a whole send request and return it normalised, or raise every problem at once.

    :param recipients: one number, a comma-, semicolon- or newline-separated string of numbers, a
        list/tuple/set of numbers or of dicts with a ``"recipient"`` key, or a JSON list as text.
    :param gateway: the hook whose gateway will send (its own text and schedule rules apply).
    :param on_invalid: ``"fail"`` (a bad number is a problem) or ``"skip"`` (bad numbers go to
        ``invalid``; it still fails when no valid number remains).
    :raises SmsValidationError: listing every problem; numbers appear masked, the message never.
    """
    problems: list[str] = []
    if on_invalid not in ON_INVALID:
        problems.append(f"on_invalid must be 'fail' or 'skip', got {shorten(str(on_invalid))!r}")
    valid, invalid, duplicates, recipient_problems = check_recipients(recipients, on_invalid=on_invalid)
    problems.extend(recipient_problems)
    problems.extend(gateway.message_problems(message))
    problems.extend(sender_problems(sender))
    schedule = send_at_problems(send_at, now)
    problems.extend(schedule)
    when = parse_send_at(send_at) if not schedule else None
    if when is not None:
        problems.extend(gateway.schedule_problems(when))
    if problems:
        raise SmsValidationError(problems)
    assert isinstance(message, str)
    return ValidatedSend(
        recipients=tuple(valid),
        invalid=tuple(invalid),
        duplicates=duplicates,
        segments=gateway.segments_of(message),
        send_at=when,
    )
