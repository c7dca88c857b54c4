"""Phone numbers: parse any written form to an E.164 mobile number, and mask numbers for logs.

Numbers are parsed with ``phonenumbers`` (national French ``06...`` accepted) to E.164; only mobile
(or "fixed line or mobile") numbers pass. The fiction blocks +33 6 39 98 xx xx (ARCEP) and
+44 7700 900xxx (Ofcom) are accepted although ``phonenumbers`` calls them invalid, and a national
``0692...``-style number from a French overseas department is retried in its own country code
(+262, +590, +594, +596, +508): ``docs/validation.md`` has the details.

**Public API** (stable import path ``airflow_provider_sms.rules.numbers``, for DAG code: matching
CRM numbers against an exported STOP list, cleaning a list before a send):
:func:`normalize_number`, :func:`normalize_numbers`, :func:`number_problem`,
:func:`is_valid_number`, :func:`mask_number`. They apply exactly the rules the operators apply.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["is_valid_number", "mask_number", "normalize_number", "normalize_numbers", "number_problem"]

MOBILE_REASON = "landline or non-mobile number (SMS needs a mobile)"
_NUMBER_TEXT = re.compile(r"[0-9+()./\s-]+")
_PHONE_LIKE = re.compile(r"\+?[0-9][0-9\s().\-/]*")
#: Blocks reserved for fiction (ARCEP 06 39 98 xx xx, Ofcom 07700 900xxx): E.164 prefix -> length.
_FICTION = {"+3363998": 12, "+447700900": 13}
#: A run of digits that may be a phone number inside free text (log lines, vendor messages).
_NUMBER_IN_TEXT = re.compile(r"\+?\d[\d .-]{6,}\d")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: Fewest digits a run needs to be taken for a phone number (French mobiles have 9 after the 0).
_MIN_PHONE_DIGITS = 9
#: A French number in E.164: ``+33`` and 9 digits, the first not 0.
_FR_E164 = re.compile(r"\+33[1-9][0-9]{8}")
_FR_NATIONAL_DIGITS = 9
#: Regions tried for a national number that is invalid in France (overseas departments).
_FR_OVERSEAS = ("RE", "YT", "GP", "MQ", "GF", "PM")


def parse_number(raw: object, default_region: str) -> tuple[object, str | None]:
    """Return ``(e164, None)``, or ``(what to mask, reason)`` when the number is refused.

    What to mask is the E.164 form for a real but non-mobile number, else the stripped input.
    """
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        # Leading 0 and + are gone: the number cannot be trusted. A DAG with
        # render_template_as_native_obj=True turns a rendered "+33612345678" into an int.
        return raw, "a number, not a string (quote phone numbers; native templates turn '+33…' into an int)"
    if not isinstance(raw, str):
        return raw, "not a string"
    text = raw.strip()
    if not text:
        return raw, "not a phone number (empty)"
    if len(text) > 40 or not _NUMBER_TEXT.fullmatch(text):
        return text, "not a phone number (only digits, spaces and + ( ) . - / are allowed)"
    known = _french_e164(text)
    if known is not None:
        return known
    import phonenumbers  # lazy: its import costs ~60 ms, and DAG files import this module

    try:
        number = phonenumbers.parse(text, default_region, keep_raw_input=True)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            return text, "not a phone number (unknown country calling code)"
        return text, "not a phone number"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if any(e164.startswith(prefix) and len(e164) == size for prefix, size in _FICTION.items()):
        return e164, None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        return text, "not a phone number (unknown country calling code)"
    if possible == phonenumbers.ValidationResult.TOO_LONG:
        return text, "invalid number for its country (too long)"
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:
        return text, "invalid number for its country (too short)"
    kind = phonenumbers.number_type(number)  # UNKNOWN exactly when is_valid_number() says no
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        number = _french_overseas(number, text, default_region)
        if number is None:
            return text, "invalid number for its country"
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return e164, MOBILE_REASON
    return e164, None


def _french_e164(text: str) -> tuple[object, str | None] | None:
    """:func:`parse_number` of a French number already written in E.164 (``+33`` and 9 digits,
    the form most pipelines hold), without ``phonenumbers.parse`` (half of the cost): the same
    answer from the same metadata; ``None`` for any other form (read the long way)."""
    if not _FR_E164.fullmatch(text):
        return None
    import phonenumbers

    if any(text.startswith(prefix) and len(text) == size for prefix, size in _FICTION.items()):
        return text, None
    kind = phonenumbers.number_type(phonenumbers.PhoneNumber(country_code=33, national_number=int(text[3:])))
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return text, "invalid number for its country"
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return text, MOBILE_REASON
    return text, None


def all_ready_mobiles(numbers: Sequence[object]) -> bool:
    """Whether every one of ``numbers`` is text :func:`parse_number` takes back unchanged as a
    French mobile in E.164 (``+336...``, ``+337...``) or a fiction-block number: a whole column
    checked in C. ``False`` only says "check them one by one"."""
    if set(map(type, numbers)) != {str}:
        return False
    return all(map(_french_mobile_pattern().fullmatch, numbers))  # type: ignore[arg-type]


@functools.cache
def _french_mobile_pattern() -> re.Pattern[str]:
    """French E.164 numbers ``phonenumbers`` types as mobile (or fixed line or mobile), built
    from its metadata the way :func:`phonenumbers.number_type` reads it, plus the fiction block."""
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region("FR")
    assert metadata is not None

    def pattern(desc: Any) -> str | None:
        fits = desc is not None and desc.national_number_pattern is not None
        if fits and desc.possible_length and _FR_NATIONAL_DIGITS not in desc.possible_length:
            fits = False
        return f"(?:{desc.national_number_pattern})" if fits else None

    others = [metadata.premium_rate, metadata.toll_free, metadata.shared_cost, metadata.voip]
    others += [metadata.personal_number, metadata.pager, metadata.uan, metadata.voicemail]
    other = [p for p in map(pattern, others) if p is not None]
    mobile = pattern(metadata.fixed_line if metadata.same_mobile_and_fixed_line_pattern else metadata.mobile)
    general = pattern(metadata.general_desc)
    if mobile is None or general is None:
        return re.compile(r"(?!)")  # nothing is known to be mobile: every number the long way
    national = f"(?={general}\\Z)" + (f"(?!(?:{'|'.join(other)})\\Z)" if other else "") + mobile
    fiction = "|".join(
        re.escape(prefix) + rf"\d{{{size - len(prefix)}}}" for prefix, size in _FICTION.items()
    )
    return re.compile(rf"\+33{national}|{fiction}", re.ASCII)  # \d: 0-9, as parse_number reads digits


def _french_overseas(number: Any, text: str, default_region: str) -> Any:
    """A national number invalid in France read as one of the overseas departments', else ``None``."""
    import phonenumbers

    national = number.country_code_source == phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY
    if not (national and default_region.upper() == "FR"):
        return None
    for region in _FR_OVERSEAS:
        candidate = phonenumbers.parse(text, region)
        if phonenumbers.is_valid_number(candidate):
            return candidate
    return None


def normalize_number(raw: str, default_region: str = "FR") -> str:
    """Return ``raw`` as an E.164 mobile number (``"+33612345678"``).

    :param raw: a number in national (``"06 12 34 56 78"``) or international form.
    :param default_region: the region assumed for national numbers.
    :raises ValueError: with the reason, which never contains the number itself.
    """
    e164, reason = parse_number(raw, default_region)
    if reason is not None:
        raise ValueError(reason)
    return str(e164)


def number_problem(raw: object, default_region: str = "FR") -> str | None:
    """Why the operators would refuse ``raw`` as a recipient (``"landline or non-mobile number (SMS
    needs a mobile)"``, ``"not a phone number"``...), or ``None`` when they would take it. The reason
    never quotes the number. Never raises.

    :param raw: a number as text, national (``"06 12 34 56 78"``) or international.
    :param default_region: the region assumed for national numbers.
    """
    return parse_number(raw, default_region)[1]


def is_valid_number(raw: object, default_region: str = "FR") -> bool:
    """``True`` when the operators would send to ``raw`` (a mobile number, in any written form)."""
    return number_problem(raw, default_region) is None


def mask_number(number: object) -> str:
    """Mask a number for logs and errors: ``"+33612345678"`` becomes ``"+3361****78"``.

    Phone-like text of 10 characters or more keeps its first 5 and last 2 characters; anything
    else keeps at most its last 2 characters. Never raises.
    """
    try:
        if isinstance(number, int) and not isinstance(number, bool):
            text = str(number)
        elif isinstance(number, str):
            # A lone surrogate kept in the mask would make the error or log line unwritable.
            text = number.strip() if number.isascii() else _LONE_SURROGATE.sub("?", number.strip())
        else:
            return "<none>" if number is None else f"<{type(number).__name__}>"
        if not text:
            return "<empty>"
        if len(text) >= 10 and _PHONE_LIKE.fullmatch(text):
            return f"{text[:5]}****{text[-2:]}"
        keep = 2 if len(text) >= 4 else 0
        return "*" * min(len(text) - keep, 8) + text[len(text) - keep :]
    except Exception:
        return "<unprintable>"


def mask_numbers_in(text: str) -> str:
    """``text`` with every phone-number-like run masked; IP addresses and short figures are kept."""

    def mask(match: re.Match[str]) -> str:
        run = match.group(0)
        if _IPV4.fullmatch(run.strip()) or sum(c.isdigit() for c in run) < _MIN_PHONE_DIGITS:
            return run
        return mask_number(run)

    return _NUMBER_IN_TEXT.sub(mask, text)


def normalize_numbers(raw: object) -> list[str]:
    """One number, a list, or comma-separated text to E.164 (de-duplicated, order kept).

    :raises ValueError: naming the position of each unreadable entry (never the number).
    """
    items: Iterable[Any] = raw.split(",") if isinstance(raw, str) else raw  # type: ignore[assignment]
    if not isinstance(items, Iterable):
        raise ValueError(f"numbers must be a number or a list of numbers, got {type(raw).__name__}")
    found: list[str] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        try:
            number = normalize_number(str(item).strip())
        except ValueError as exc:
            problems.append(f"numbers[{index}] ({mask_number(str(item))}): {exc}")
            continue
        if number not in found:
            found.append(number)
    if problems:
        raise ValueError("; ".join(problems))
    return found
