"""Message text: GSM 03.38 (GSM-7) character tables, SMS segment counting, and text checks.

Source: 3GPP TS 23.038 default alphabet as dumped from Perl ``Encode::GSM0338`` and checked
against Unicode's ``GSM0338.TXT`` (``docs/vendor-apis.md``, "Characters and segments"). Position 0x09 is
capital ``Ç`` as in 3GPP (Unicode's table says small ``ç``): small ``ç`` is therefore *not* GSM-7
here and switches a message to UCS-2. National shift tables are not supported (neither gateway
mentions them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

#: The 127 characters of the basic table (0x1B, the escape, is left out), 1 septet each.
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039eÆæßÉ"  # 0x10-0x1F (Δ Φ Γ Λ Ω Π Ψ Σ Θ Ξ)
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"  # 0x40-0x5F
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"  # 0x60-0x7F
)

#: The extension table: ESC plus one byte, so 2 septets each (form feed, ^ { } \ [ ~ ] | €).
GSM7_EXTENSION: frozenset[str] = frozenset("\x0c^{}\\[~]|€")

#: Septets in a single GSM-7 SMS, and per part of a concatenated one (8-bit reference UDH).
GSM7_SINGLE = 160
GSM7_PART = 153
#: UTF-16 code units in a single UCS-2 SMS, and per part of a concatenated one.
UCS2_SINGLE = 70
UCS2_PART = 67

GSM7 = "GSM-7"
UCS2 = "UCS-2"


#: Every GSM-7 character, basic and extension tables together.
_GSM7_ALL: frozenset[str] = GSM7_BASIC | GSM7_EXTENSION


def is_gsm7(text: str) -> bool:
    """Return True when every character of ``text`` is in the basic or the extension table."""
    return _GSM7_ALL.issuperset(text)


def gsm7_units(text: str) -> list[int]:
    """Septets per character of a GSM-7 ``text``: 1 for the basic table, 2 for the extension."""
    return [2 if c in GSM7_EXTENSION else 1 for c in text]


def ucs2_units(text: str) -> list[int]:
    """UTF-16 code units per character: 2 for a character outside the BMP (a surrogate pair)."""
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def pack(units: list[int], single: int, part: int) -> int:
    """Count the SMS parts ``units`` fill, never splitting one character across two parts.

    ``single`` is the capacity of a lone SMS; once the total exceeds it, characters are packed
    greedily into parts of ``part`` units each.
    """
    total = sum(units)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in units:
        if used + size > part:
            parts += 1
            used = 0
        used += size
    return parts


def _even_parts(total: int, single: int, part: int) -> int:
    """What :func:`pack` gives when every character is one unit (no character to keep whole)."""
    if total <= single:
        return 1 if total else 0
    return -(-total // part)


@dataclass(frozen=True)
class SegmentInfo:
    """How a text travels: ``encoding`` (``"GSM-7"`` or ``"UCS-2"``), ``units`` (septets or
    UTF-16 code units) and ``segments`` (SMS parts, 0 for an empty text)."""

    encoding: str
    units: int
    segments: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict."""
        return asdict(self)

    @property
    def unit_name(self) -> str:
        """``"septets"`` or ``"UTF-16 units"``."""
        return "septets" if self.encoding == GSM7 else "UTF-16 units"


def count_segments(text: str) -> SegmentInfo:
    """Count the SMS parts ``text`` needs (GSM-7 160/153, else UCS-2 70/67), exactly."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if is_gsm7(text):
        if GSM7_EXTENSION.isdisjoint(text):  # one septet per character: no need to list them
            return SegmentInfo(GSM7, len(text), _even_parts(len(text), GSM7_SINGLE, GSM7_PART))
        units = gsm7_units(text)
        return SegmentInfo(GSM7, sum(units), pack(units, GSM7_SINGLE, GSM7_PART))
    if max(text) <= "\uffff":  # one UTF-16 unit per character
        return SegmentInfo(UCS2, len(text), _even_parts(len(text), UCS2_SINGLE, UCS2_PART))
    units = ucs2_units(text)
    return SegmentInfo(UCS2, sum(units), pack(units, UCS2_SINGLE, UCS2_PART))


def shorten(value: str, limit: int = 24) -> str:
    """``value`` cut to ``limit`` characters (with ``...``), for quoting user input in errors."""
    return value if len(value) <= limit else value[:limit] + "..."


def describe_chars(chars: Iterable[str], limit: int = 10) -> str:
    """The distinct ``chars`` as ``'a', 'b' and 3 more``, for error messages."""
    unique = list(dict.fromkeys(chars))
    shown = ", ".join(repr(c) for c in unique[:limit])
    return shown + (f" and {len(unique) - limit} more" if len(unique) > limit else "")


#: Control characters a message may hold: line breaks and tab.
ALLOWED_CONTROLS = frozenset("\n\r\t")


def control_characters(text: str) -> str:
    """The control characters (C0, DEL, C1) in ``text``, as ``U+0000, U+001B``; empty when there
    are none. Line breaks and tab are allowed. (Lone surrogates: :func:`lone_surrogate_problem`.)"""
    if text.isprintable():  # no control character at all (the common case, checked in C)
        return ""
    found = [c for c in text if c not in ALLOWED_CONTROLS and (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F)]
    unique = list(dict.fromkeys(found))
    shown = ", ".join(f"U+{ord(c):04X}" for c in unique[:10])
    return shown + (f" and {len(unique) - 10} more" if len(unique) > 10 else "")


def lone_surrogate_problem(name: str, text: str) -> str | None:
    """The problem line for a ``text`` holding a lone surrogate (``"\\ud800"``: no UTF-8 form, so
    neither Airflow's stores nor a gateway can take it), naming ``name`` and the first one's
    position; ``None`` when there is none. Never quotes the text."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"{name} holds characters that cannot be stored or sent "
            f"(lone surrogate U+{ord(text[exc.start]):04X} at position {exc.start})"
        )
    return None


#: How deep :func:`unstorable_problems` looks into nested lists and dicts.
_MAX_DEPTH = 32


def unstorable_problems(fields: Mapping[str, object]) -> list[str]:
    """What in rendered templated ``fields`` (name -> value) Airflow could not store as its
    rendered fields, nor send: strings with lone surrogates, also inside lists, tuples, sets and
    dicts (keys too), and paths. One line per string, e.g. ``recipients[2] holds characters that
    cannot be stored or sent (lone surrogate U+D800 at position 10)``; never quotes a value."""
    problems: list[str] = []
    for name, value in fields.items():
        _walk(name, value, 0, problems)
    return problems


def _walk(path: str, value: object, depth: int, problems: list[str]) -> None:
    if isinstance(value, str):
        problem = lone_surrogate_problem(path, value)
        if problem:
            problems.append(problem)
    elif isinstance(value, os.PathLike):
        try:
            _walk(path, str(value), depth, problems)
        except Exception:  # an exotic path that cannot even be shown: Airflow's concern, not ours
            return
    elif depth >= _MAX_DEPTH:
        return
    elif isinstance(value, Mapping):
        for index, (key, item) in enumerate(value.items()):
            # A key is named only when it is a plain name (so never a phone number).
            named = isinstance(key, str) and key.isascii() and key.isidentifier()
            if not named:
                _walk(f"{path} key #{index}", key, depth + 1, problems)
            _walk(f"{path}[{key!r}]" if named else f"{path}[#{index}]", item, depth + 1, problems)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            _walk(f"{path}[{index}]", item, depth + 1, problems)


def text_problems(text: object) -> list[str]:
    """What makes ``text`` no message at all (missing, not a string, empty, blank, control
    characters, lone surrogates); never quotes it."""
    if text is None:
        return ["message is missing (None)"]
    if not isinstance(text, str):
        return [f"message must be a string, got {type(text).__name__}"]
    if not text:
        return ["message is empty"]
    if not text.strip():
        return ["message is only whitespace"]
    problems = []
    controls = control_characters(text)
    if controls:
        problems.append(
            f"message has control characters or invalid text: {controls} (only line breaks and tab)"
        )
    surrogate = lone_surrogate_problem("message", text)
    if surrogate:
        problems.append(surrogate)
    return problems


def too_many_segments(info: SegmentInfo, gateway: str, limit: int, source: str) -> str:
    """The problem line for a text longer than ``limit`` segments on ``gateway``."""
    return (
        f"message needs {info.segments} SMS segments ({info.encoding}, {info.units} {info.unit_name}); "
        f"{gateway} sends at most {limit} ({source})"
    )
