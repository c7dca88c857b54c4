"""A whole send request checked at once: recipients, text, sender and schedule.

The generic rules live here; what one gateway adds (its characters, its segment ceiling, its
schedule step) comes from the hook, through the :class:`GatewayRules` protocol every
:class:`~airflow_provider_sms.hooks.base.SmsHook` implements. Every problem is reported in one
:class:`~airflow_provider_sms.exceptions.SmsValidationError`; problem texts never hold a raw phone
number (only masked ones) nor the message text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.rules.inputs import ON_INVALID, check_recipients, recipient_entries
from airflow_provider_sms.rules.options import choice_problems, optional_choice_problems
from airflow_provider_sms.rules.row_columns import check_columns
from airflow_provider_sms.rules.row_template import RowTemplate
from airflow_provider_sms.rules.rows import check_rows, has_rows
from airflow_provider_sms.rules.schedule import parse_send_at, send_at_problems, utc_now
from airflow_provider_sms.rules.text import (
    SegmentInfo,
    control_characters,
    describe_chars,
    lone_surrogate_problem,
    shorten,
)
from airflow_provider_sms.rules.transliterate import UNSUPPORTED_CHARACTERS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from datetime import datetime

    from airflow_provider_sms.rules.inputs import OnInvalid
    from airflow_provider_sms.rules.rows import CheckedRows, RowLabels
    from airflow_provider_sms.rules.transliterate import PreparedText

#: Longest campaign name or category accepted (neither gateway publishes one; an assumption).
MAX_LABEL_LENGTH = 100


class GatewayRules(Protocol):
    """What a gateway adds to the generic rules (implemented by every SMS hook)."""

    def message_problems(self, text: object, unsupported_characters: str | None = None) -> list[str]:
        """Everything the gateway would refuse in ``text`` (as it will go out); empty when fine."""
        ...

    def text_to_send(self, text: str, unsupported_characters: str | None = None) -> PreparedText:
        """``text`` as the gateway will send it (replaced characters counted)."""
        ...

    def schedule_problems(self, when: datetime) -> list[str]:
        """Everything the gateway would refuse in a schedule (``when`` is aware UTC)."""
        ...

    def segments_of(self, text: str) -> SegmentInfo:
        """How ``text`` travels on this gateway."""
        ...

    def category_problems(self, category: str) -> list[str]:
        """What the gateway would refuse in a send's category (its tag)."""
        ...

    @property
    def plain_characters(self) -> frozenset[str]:
        """Characters whose texts the gateway judges by length alone."""
        ...


@dataclass(frozen=True)
class SendRequest:
    """One send request as a gateway sees it (what a hook's ``send_request`` takes): one text to
    some numbers (the sending engine plans requests by text, see :meth:`ValidatedSend.text_of`).

    :param recipients: E.164 numbers, at most the gateway's ``max_recipients_per_send``, each once.
    :param message: the text every number of the request gets.
    :param sender: the sender name, already defaulted from the connection.
    :param send_at: aware UTC schedule, or ``None`` for now.
    :param reconciliation_tag: a tag unique to this request, where the gateway reconciles lost
        replies by tag (set by the sending engine, not by users).
    :param texts: each number's own text, in ``recipients`` order, for a gateway that takes
        several texts in one request (``max_texts_per_request``); ``None``: every number gets
        ``message``.
    """

    recipients: tuple[str, ...]
    message: str
    sender: str | None = None
    campaign_name: str | None = None
    category: str | None = None
    send_at: datetime | None = None
    marketing: bool = False
    reconciliation_tag: str | None = None
    texts: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ValidatedSend:
    """A send that passed :func:`validate_send`: the whole recipient list and the request options.

    :param recipients: the send's recipients, in input order: each one SMS, named by its identity
        (the E.164 number, unless ``rows`` says otherwise).
    :param invalid: ``{"index", "recipient" (masked), "reason"}`` per skipped number
        (``on_invalid="skip"`` only).
    :param duplicates: inputs dropped because an earlier one had the same E.164 number.
    :param segments: how the message travels.
    :param request: the options every request of this send carries (its ``recipients`` are all
        of them; :meth:`request_for` cuts it to one request's worth).
    :param marketing_note: for a marketing send outside the marketing window, what its guard did
        (rescheduled to the next opening, or sent anyway); ``None`` otherwise.
    :param rows: identity -> (E.164 number, text) where recipients carry their own text;
        ``None`` (one text for all): each recipient's identity is its number, its text
        ``request.message``.
    :param replaced_characters: character -> times replaced (``unsupported_characters="replace"``);
        ``request.message`` is the text after replacement.
    :param labels: identity -> :class:`~airflow_provider_sms.rules.rows.RowLabel` (position, key,
        segments) where ``rows`` is set.
    :param merged: rows merged into an earlier one (``{"recipient", "key", "position",
        "merged_into"}``), where ``rows`` is set.
    """

    recipients: tuple[str, ...]
    invalid: tuple[dict[str, Any], ...]
    duplicates: int
    segments: SegmentInfo
    request: SendRequest
    marketing_note: str | None = None
    rows: Mapping[str, tuple[str, str]] | None = None
    replaced_characters: Mapping[str, int] | None = None
    labels: RowLabels | None = None
    merged: tuple[dict[str, Any], ...] = ()

    @property
    def send_at(self) -> datetime | None:
        """The schedule in UTC, or ``None`` for now."""
        return self.request.send_at

    def number_of(self, recipient: str) -> str:
        """The E.164 number of a recipient (named by its identity)."""
        return recipient if self.rows is None else self.rows[recipient][0]

    def text_of(self, recipient: str) -> str:
        """The text a recipient gets."""
        return self.request.message if self.rows is None else self.rows[recipient][1]

    def request_for(self, recipients: Sequence[str], reconciliation_tag: str | None = None) -> SendRequest:
        """The request for some of this send's recipients, whose numbers differ (:meth:`plan`):
        one text for all, or each number's own (``texts``) where their texts differ."""
        if self.rows is None:
            return replace(self.request, recipients=tuple(recipients), reconciliation_tag=reconciliation_tag)
        pairs = [self.rows[r] for r in recipients]
        texts = tuple(text for _, text in pairs)
        return replace(
            self.request,
            recipients=tuple(number for number, _ in pairs),
            message=texts[0],
            texts=texts if any(text != texts[0] for text in texts) else None,
            reconciliation_tag=reconciliation_tag,
        )

    def plan(self, todo: Sequence[str], size: int, max_texts: int = 1) -> list[list[str]]:
        """``todo`` cut in requests of at most ``size`` recipients, a number at most once in a
        request (:meth:`plan_waves`, flattened)."""
        return [chunk for wave in self.plan_waves(todo, size, max_texts) for chunk in wave]

    def plan_waves(self, todo: Sequence[str], size: int, max_texts: int = 1) -> list[list[list[str]]]:
        """``todo``'s requests in waves: a number's n-th recipient in wave n (one wave unless
        rows share a number), so a send can hold a number's next SMS until the previous one's
        outcome is known. In a wave, one text for all: plain slices; rows: by text, and where a
        request may carry up to ``max_texts`` texts, the full requests of each text stay apart and
        the rest share requests (rows that all differ need ``len / size`` requests, not one each)."""
        size = max(1, size)
        if self.rows is None:
            return [[list(todo[i : i + size]) for i in range(0, len(todo), size)]]
        return [self._plan_wave(wave, size, max_texts) for wave in self._waves(todo)]

    def _pairs(self, recipients: Sequence[str]) -> Iterable[tuple[str, str]]:
        """(number, text) of each recipient: read in order where they are the whole send (a
        first try's), looked up one by one otherwise."""
        rows = self.rows
        assert rows is not None
        whole = len(recipients) == len(self.recipients) == len(rows)
        if whole and list(recipients) == list(self.recipients):
            return rows.values()  # the rows, in input order (``recipients`` is their order)
        return map(rows.__getitem__, recipients)

    def _waves(self, todo: Sequence[str]) -> list[list[str]]:
        numbers = list(map(itemgetter(0), self._pairs(todo)))
        if len(set(numbers)) == len(numbers):
            return [list(todo)]  # every number once: one wave
        seen: dict[str, int] = {}
        waves: list[list[str]] = []
        for recipient, number in zip(todo, numbers, strict=True):
            wave = seen.get(number, 0)
            seen[number] = wave + 1
            if wave == len(waves):
                waves.append([])
            waves[wave].append(recipient)
        return waves

    def _plan_wave(self, wave: Sequence[str], size: int, max_texts: int) -> list[list[str]]:
        """One wave's requests. Its numbers differ, so requests of one text are plain slices, and
        so are the shared ones where a request may carry as many texts as numbers."""
        texts = list(map(itemgetter(1), self._pairs(wave)))
        if max_texts >= size and len(set(texts)) == len(texts):  # every text once: nothing to group
            return [list(wave[i : i + size]) for i in range(0, len(wave), size)]
        by_text: dict[str, list[str]] = {}
        for recipient, text in zip(wave, texts, strict=True):
            by_text.setdefault(text, []).append(recipient)
        chunks = [group[i : i + size] for group in by_text.values() for i in range(0, len(group), size)]
        if max_texts <= 1:
            return chunks
        full = [chunk for chunk in chunks if len(chunk) == size]
        rest = [recipient for chunk in chunks if len(chunk) < size for recipient in chunk]
        if max_texts >= size:
            return full + [rest[i : i + size] for i in range(0, len(rest), size)]
        return full + cut(rest, self.number_of, size, self.text_of, max_texts)

    def describe(self, recipient: str) -> dict[str, Any] | None:
        """``{"recipient" (E.164), "key", "position"}`` of a row (named by its identity), what the
        XComs and reports show; ``None`` for a one-text send or an unknown identity."""
        row = self.row_of(recipient)
        if row is None or self.rows is None:
            return None
        return {"recipient": self.rows[recipient][0], "key": row[0], "position": row[1]}

    def row_of(self, recipient: str) -> tuple[str | int | None, int] | None:
        """The key and position of a row (named by its identity); ``None`` for a one-text send."""
        if self.labels is None or recipient not in self.labels:
            return None
        return self.labels.key_and_position(recipient)

    def segments_in(self, recipients: Sequence[str] | None = None) -> int:
        """SMS segments the recipients (default: all) take in all, each with its own text."""
        recipients = self.recipients if recipients is None else recipients
        if self.labels is None:
            return len(recipients) * self.segments.segments
        return self.labels.segments_total(recipients)

    def identities(self, recipients: Sequence[str]) -> dict[str, str]:
        """Number -> identity for the recipients of one request (their numbers differ)."""
        if self.rows is None:
            return {r: r for r in recipients}
        return {self.rows[r][0]: r for r in recipients}


def cut(
    group: Sequence[str],
    number_of: Callable[[str], str],
    size: int,
    text_of: Callable[[str], str] | None = None,
    max_texts: int = 1,
) -> list[list[str]]:
    """``group`` in requests of at most ``size``, a number never twice in one request (and, with
    ``text_of``, at most ``max_texts`` texts in one request), in order, each request filled first."""
    chunks: list[list[str]] = []
    numbers: list[set[str]] = []
    texts: list[set[str]] = []
    first_open = 0
    for recipient in group:
        number = number_of(recipient)
        text = text_of(recipient) if text_of is not None else ""
        index = first_open
        while index < len(chunks) and (
            len(chunks[index]) >= size
            or number in numbers[index]
            or (len(texts[index]) >= max_texts and text not in texts[index])
        ):
            index += 1
        if index == len(chunks):
            chunks.append([])
            numbers.append(set())
            texts.append(set())
        chunks[index].append(recipient)
        numbers[index].add(number)
        texts[index].add(text)
        while first_open < len(chunks) and len(chunks[first_open]) >= size:
            first_open += 1
    return chunks


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


def label_problems(name: str, value: object) -> list[str]:
    """What is wrong with an optional free-text label (``campaign_name``, ``category``)."""
    if value is None:
        return []
    if not isinstance(value, str):
        return [f"{name} must be a string, got {type(value).__name__}"]
    if not value.strip():
        return [f"{name} is empty; leave it out (None) instead"]
    problems = []
    if len(value) > MAX_LABEL_LENGTH:
        problems.append(f"{name} is too long: {len(value)} characters, at most {MAX_LABEL_LENGTH}")
    controls = control_characters(value)
    if controls:
        problems.append(f"{name} has control characters: {controls}")
    surrogate = lone_surrogate_problem(name, value)
    if surrogate:
        problems.append(surrogate)
    return problems


def validate_send(
    recipients: object,
    message: object,
    *,
    gateway: GatewayRules,
    sender: object = None,
    send_at: object = None,
    campaign_name: object = None,
    category: object = None,
    marketing: object = False,
    on_invalid: OnInvalid | str = "fail",
    now: datetime | None = None,
    unsupported_characters: object = None,
) -> ValidatedSend:
    """Check a whole send request and return it normalised, or raise every problem at once.

    The guards (marketing window, spend, credits) run after, on the validated send
    (:mod:`airflow_provider_sms.rules.guards`).

    :param recipients: one number, a comma-, semicolon- or newline-separated string of numbers, a
        list/tuple/set of numbers or of dicts with a ``"recipient"`` key, or a JSON list as text.
    :param gateway: the hook whose gateway will send (its own text and schedule rules apply).
    :param on_invalid: ``"fail"`` (a bad number is a problem) or ``"skip"`` (bad numbers go to
        ``invalid``; it still fails when no valid number remains).
    :param now: the current time (default: the clock); ``send_at`` is judged against it.
    :param unsupported_characters: characters outside the gateway's alphabet: ``"fail"``,
        ``"replace"`` (closest GSM-7 form, :mod:`~airflow_provider_sms.rules.transliterate`) or
        ``"unicode"`` (UCS-2 where the gateway can); ``None``: the gateway's default.
    :raises SmsValidationError: listing every problem; numbers appear masked, the message never.
    """
    problems: list[str] = []
    problems.extend(choice_problems("on_invalid", on_invalid, ON_INVALID))
    entries, shape_problems = recipient_entries(recipients)
    checked: CheckedRows | None = None
    prepared: PreparedText | None = None
    mode_problems = optional_choice_problems(
        "unsupported_characters", unsupported_characters, UNSUPPORTED_CHARACTERS
    )
    problems.extend(mode_problems)
    mode = None if mode_problems else unsupported_characters
    assert mode is None or isinstance(mode, str)
    if isinstance(message, RowTemplate) or has_rows(entries):
        # The common shape column by column (the same answer, in C); any other row by row.
        checked = check_columns(entries, message, gateway, mode)
        if checked is None:
            checked = check_rows(entries, message, gateway, str(on_invalid), mode)
        problems += shape_problems + checked.problems
    else:
        given = recipients if shape_problems else entries  # a bad shape: check_recipients says so
        valid, invalid, duplicates, recipient_problems = check_recipients(given, on_invalid=on_invalid)
        problems += recipient_problems
        prepared, text_problems = _message(gateway, message, mode)
        problems.extend(text_problems)
    problems.extend(sender_problems(sender))
    problems.extend(label_problems("campaign_name", campaign_name))
    problems.extend(_category_problems(gateway, category))
    if not isinstance(marketing, bool):
        problems.append(f"marketing must be True or False, got {type(marketing).__name__}")
    when, schedule_problems = _schedule(gateway, send_at, utc_now(now))
    problems.extend(schedule_problems)
    if problems:
        raise SmsValidationError(problems)
    request = SendRequest(
        recipients=(),
        message="",
        sender=sender if isinstance(sender, str) else None,
        campaign_name=campaign_name if isinstance(campaign_name, str) else None,
        category=category if isinstance(category, str) else None,
        send_at=when,
        marketing=bool(marketing),
    )
    if checked is not None:
        return _personalised(checked, request)
    assert prepared is not None
    return ValidatedSend(
        recipients=tuple(valid),
        invalid=tuple(invalid),
        duplicates=duplicates,
        segments=gateway.segments_of(prepared.text),
        replaced_characters=prepared.replaced,
        request=replace(request, recipients=tuple(valid), message=prepared.text),
    )


def _personalised(checked: CheckedRows, request: SendRequest) -> ValidatedSend:
    """The validated send of checked rows: each identity with its own number and text."""
    order = tuple(checked.order)
    assert checked.longest is not None  # at least one valid row, or a problem was raised
    return ValidatedSend(
        recipients=order,
        invalid=tuple(checked.invalid),
        duplicates=len(checked.merged),
        segments=checked.longest,
        request=replace(
            request,
            recipients=tuple(map(itemgetter(0), checked.rows.values())),  # in input order, as ``order``
            message=checked.rows[order[0]][1],
        ),
        rows=checked.rows,
        labels=checked.labels,
        merged=tuple(checked.merged),
        replaced_characters=dict(checked.replaced),
    )


def _message(
    gateway: GatewayRules, message: object, mode: str | None
) -> tuple[PreparedText | None, list[str]]:
    """The text as it will go out (``None`` when not a string) and what is wrong with it."""
    prepared = gateway.text_to_send(message, mode) if isinstance(message, str) else None
    return prepared, gateway.message_problems(prepared.text if prepared else message, mode)


def _category_problems(gateway: GatewayRules, category: object) -> list[str]:
    problems = label_problems("category", category)
    if not problems and isinstance(category, str):
        problems = gateway.category_problems(category)
    return problems


def _schedule(gateway: GatewayRules, send_at: object, now: datetime) -> tuple[datetime | None, list[str]]:
    """``send_at`` in UTC and what is wrong with it (generic rules, then the gateway's)."""
    problems = send_at_problems(send_at, now)
    try:
        when = parse_send_at(send_at)
    except ValueError:
        return None, problems  # already reported
    if when is not None:
        problems.extend(gateway.schedule_problems(when))
    return when, problems
