"""Personalised recipients: rows with a number, a text of their own and the pipeline's key.

A row is a mapping with ``recipient`` (the number, required), optional ``message`` (a ready text
for this row, sent as is), optional ``key`` (the pipeline's own id) and any other fields, which a
message template reads as ``{{ row.<field> }}`` (:mod:`~airflow_provider_sms.rules.row_template`).

**Identity.** A row is one SMS, named by its key when it has one, else by its number and final
text: two rows with different keys or different texts are two SMS, even to one number; rows
without keys that share number and text are merged into the first one (reported as merged).
Each row is checked on its own (number, text, encoding, segments); a problem names the row by its
position (0-based) and key, never by its number or its text.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_sms.rules.numbers import mask_number, parse_number
from airflow_provider_sms.rules.row_template import RowTemplate, RowTemplateError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow_provider_sms.rules.text import SegmentInfo
    from airflow_provider_sms.rules.transliterate import PreparedText

#: Invalid rows listed one by one in an error; the rest are counted.
MAX_LISTED_ROWS = 100
#: The fields a row reads from its mapping (others are the template's).
RECIPIENT, MESSAGE, KEY = "recipient", "message", "key"


class TextRules(Protocol):
    """What the row checks need of the gateway (every SMS hook has it)."""

    def message_problems(self, text: object, unsupported_characters: str | None = None) -> list[str]: ...

    def text_to_send(self, text: str, unsupported_characters: str | None = None) -> PreparedText: ...

    def segments_of(self, text: str) -> SegmentInfo: ...


@dataclass(frozen=True, slots=True)
class RowLabel:
    """Where a row came from and how its text travels.

    :param position: its index in the input (0-based).
    :param key: the pipeline's key (text or a whole number), ``None`` when the row has none.
    :param segments: SMS parts of its text.
    :param encoding: ``"GSM-7"`` or ``"UCS-2"``.
    """

    position: int
    key: str | int | None
    segments: int
    encoding: str


class RowLabels(Mapping[str, RowLabel]):
    """Identity -> :class:`RowLabel`, held as columns (a large send holds no label objects).

    :param identities: the rows' identities, each once, in input order.
    """

    def __init__(
        self,
        identities: Sequence[str] = (),
        positions: Sequence[int] = (),
        keys: Sequence[str | int | None] = (),
        segments: Sequence[int] = (),
        encodings: Sequence[str] = (),
    ) -> None:
        self._index = dict(zip(identities, range(len(identities)), strict=True))
        self._positions, self._keys = list(positions), list(keys)
        self._segments, self._encodings = list(segments), list(encodings)

    def add(self, identity: str, label: RowLabel) -> None:
        """Label one more row."""
        self._index[identity] = len(self._positions)
        self._positions.append(label.position)
        self._keys.append(label.key)
        self._segments.append(label.segments)
        self._encodings.append(label.encoding)

    def __getitem__(self, identity: str) -> RowLabel:
        i = self._index[identity]
        return RowLabel(self._positions[i], self._keys[i], self._segments[i], self._encodings[i])

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, identity: object) -> bool:
        return identity in self._index

    def key_and_position(self, identity: str) -> tuple[str | int | None, int]:
        """The row's key and position, without a label object."""
        i = self._index[identity]
        return self._keys[i], self._positions[i]

    def segments_total(self, identities: Sequence[str]) -> int:
        """SMS segments these rows take in all."""
        segments = self._segments
        if segments and min(segments) == max(segments):  # every row the same size: no lookups
            return len(identities) * segments[0]
        return sum(map(segments.__getitem__, map(self._index.__getitem__, identities)))


@dataclass
class CheckedRows:
    """Rows checked: the valid ones by identity, in input order, and what was left out.

    :param order: identities of the valid rows, in input order.
    :param rows: identity -> (E.164 number, text).
    :param labels: identity -> :class:`RowLabel` (:class:`RowLabels`).
    :param invalid: ``{"index", "position", "key", "recipient" (masked), "reason"}`` per bad row.
    :param merged: ``{"recipient", "key", "position", "merged_into"}`` per row merged into an
        earlier one (same number and text, no key, or the same key twice).
    :param problems: the lines an error shows (bad rows are problems unless ``on_invalid="skip"``
        leaves a valid one).
    :param longest: how the text with the most segments travels.
    :param replaced: character -> times replaced over the kept rows (``unsupported_characters="replace"``).
    """

    order: list[str] = field(default_factory=list)
    rows: dict[str, tuple[str, str]] = field(default_factory=dict)
    labels: RowLabels = field(default_factory=RowLabels)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    merged: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    longest: SegmentInfo | None = None
    replaced: Counter[str] = field(default_factory=Counter)


def has_rows(entries: Sequence[object]) -> bool:
    """Whether ``entries`` holds a personalised row: a mapping with a ``message`` or a ``key``.
    (Other fields only matter to a message template that reads ``row``, which makes a send
    personalised by itself.)"""
    return any(isinstance(e, Mapping) and (MESSAGE in e or KEY in e) for e in entries)


def row_name(position: int, key: object) -> str:
    """How a problem names a row: ``row 3 (key 10234)``."""
    return f"row {position}" + (f" (key {key!r})" if key is not None else "")


def key_of(fields: Mapping[str, Any]) -> tuple[str | int | None, str | None]:
    """The row's key normalised for XCom (text, or a whole number), or the problem with it."""
    key = fields.get(KEY)
    if key is None:
        return None, None
    if isinstance(key, bool):
        return None, f"key must be text or a whole number, got {type(key).__name__}"
    if isinstance(key, Integral):
        return int(key), None
    if isinstance(key, Decimal) and key.is_finite() and key == key.to_integral_value():
        return int(key), None  # a whole number read as a Decimal (NUMERIC columns)
    if isinstance(key, Real) and float(key).is_integer():
        return int(float(key)), None  # a whole number read as a float (a column with NULLs)
    if isinstance(key, str) and key.strip():
        return key, None
    return (
        None,
        f"key must be text or a whole number, got {type(key).__name__ if key != '' else 'empty text'}",
    )


def identity_of(key: str | int | None, number: str, text: str) -> str:
    """A row's identity: its key, else its number and a digest of its text (never the text)."""
    if key is not None:
        return f"key:{key}"
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"{number}#{digest}"


class RowChecker:
    """Checks rows one by one (see the module docstring); :meth:`result` says what came out.

    :param message: the task's message: a ready text, a :class:`RowTemplate`, or ``None`` (every
        row brings its own).
    :param unsupported_characters: what becomes of characters outside the gateway's alphabet
        (``None``: the gateway's default); each row's text is checked as it will go out.
    """

    def __init__(
        self, message: object, gateway: TextRules, unsupported_characters: str | None = None
    ) -> None:
        self.message, self.gateway, self.mode = message, gateway, unsupported_characters
        self.checked = CheckedRows()
        #: a text as given -> how it goes out, its problems, how it travels
        self._texts: dict[str, tuple[PreparedText, list[str], SegmentInfo | None]] = {}

    def add(self, position: int, entry: object) -> None:
        """Check the row at ``position``."""
        fields: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {RECIPIENT: entry}
        key, key_problem = key_of(fields)
        problems = [key_problem] if key_problem else []
        number, number_problem = self._number(fields)
        if number_problem:
            problems.append(number_problem)
        prepared, text_problems, info = self._text(fields)
        problems += text_problems
        if problems or info is None or prepared is None:
            raw = fields.get(RECIPIENT)
            self._invalid(position, key, mask_number(raw) if raw is not None else "<none>", problems)
            return
        if self._keep(position, key, number, prepared.text, info):
            self.checked.replaced.update(prepared.replaced)

    def result(self, on_invalid: str) -> CheckedRows:
        """The rows checked, with the problems to raise (see :class:`CheckedRows`)."""
        checked = self.checked
        invalid = checked.invalid
        if invalid and (on_invalid != "skip" or not checked.order):
            checked.problems.extend(item["line"] for item in invalid[:MAX_LISTED_ROWS])
            if len(invalid) > MAX_LISTED_ROWS:
                checked.problems.append(
                    f"... and {len(invalid) - MAX_LISTED_ROWS} more invalid rows (not listed)"
                )
            if on_invalid == "skip":
                checked.problems.append(f"no valid row left after skipping {len(invalid)} invalid")
        for item in invalid:
            del item["line"]
        return checked

    # ------------------------------------------------------------------ one row
    @staticmethod
    def _number(fields: Mapping[str, Any]) -> tuple[str, str | None]:
        if RECIPIENT not in fields:
            return "", "no 'recipient' key"
        number, reason = parse_number(fields[RECIPIENT], "FR")
        return (str(number), None) if reason is None else ("", f"recipient: {reason}")

    def _text(self, fields: Mapping[str, Any]) -> tuple[PreparedText | None, list[str], SegmentInfo | None]:
        """The row's text as it goes out (its own ``message`` wins), its problems and how it travels."""
        own = fields.get(MESSAGE)
        if own is not None:
            text: object = own
        elif isinstance(self.message, RowTemplate):
            try:
                text = self.message.render(fields)
            except RowTemplateError as exc:
                return None, [str(exc)], None
        elif self.message is None:
            return None, ["no message: give the row a 'message' or the task a message"], None
        else:
            text = self.message
        if not isinstance(text, str):
            return None, self.gateway.message_problems(text, self.mode), None
        return self._checked_text(text)

    def _checked_text(self, text: str) -> tuple[PreparedText, list[str], SegmentInfo | None]:
        known = self._texts.get(text)
        if known is None:
            prepared = self.gateway.text_to_send(text, self.mode)
            problems = self.gateway.message_problems(prepared.text, self.mode)
            info = None if problems else self.gateway.segments_of(prepared.text)
            known = self._texts[text] = (prepared, problems, info)
        return known

    def _invalid(self, position: int, key: str | int | None, masked: str, problems: list[str]) -> None:
        reason = "; ".join(problems)
        self.checked.invalid.append(
            {
                "index": position,
                "position": position,
                "key": key,
                "recipient": masked,
                "reason": reason,
                "line": f"{row_name(position, key)}: {reason}",
            }
        )

    def _keep(self, position: int, key: str | int | None, number: str, text: str, info: SegmentInfo) -> bool:
        """Keep the row unless it merges into an earlier one or clashes with it; whether kept."""
        checked = self.checked
        identity = identity_of(key, number, text)
        earlier = checked.labels.get(identity)
        if earlier is not None:
            if checked.rows[identity] != (number, text):
                problem = f"key {key!r} is also row {earlier.position}'s, with another number or text"
                self._invalid(position, key, mask_number(number), [problem])
                return False
            checked.merged.append(
                {"recipient": number, "key": key, "position": position, "merged_into": earlier.position}
            )
            return False
        checked.order.append(identity)
        checked.rows[identity] = (number, text)
        checked.labels.add(identity, RowLabel(position, key, info.segments, info.encoding))
        if checked.longest is None or info.segments > checked.longest.segments:
            checked.longest = info
        return True


def check_rows(
    entries: Sequence[object],
    message: object,
    gateway: TextRules,
    on_invalid: str,
    unsupported_characters: str | None = None,
) -> CheckedRows:
    """Check every row (see the module docstring); ``on_invalid="skip"`` keeps bad rows out of
    the problems as long as a valid row remains."""
    checker = RowChecker(message, gateway, unsupported_characters)
    for position, entry in enumerate(entries):
        checker.add(position, entry)
    if not entries:
        checker.checked.problems.append("no recipients given")
    return checker.result(on_invalid)
