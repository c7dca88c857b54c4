"""Rules that need no network: phone numbers, segments, characters, sender and schedule.

Every rule comes from ``docs/sms-api-reference.md`` (section in brackets); ``docs/validation.md``
explains them in full. Labels: [C] a source states it, [I] our inference, [U] unknown.

* Numbers are parsed with ``phonenumbers`` (national French ``06...`` accepted) to E.164; only
  mobile (or "fixed line or mobile") numbers pass. The fiction blocks +33 6 39 98 xx xx (ARCEP)
  and +44 7700 900xxx (Ofcom) are accepted although ``phonenumbers`` calls them invalid, and a
  national ``0692...``-style number from a French overseas department is retried in its own
  country code (+262, +590, +594, +596, +508) [I].
* Segments (§4): GSM-7 when every character is in the basic or extension table (extension
  characters count 2 septets), 160 septets alone or 153 per part; otherwise UCS-2, counting UTF-16
  units, 70 alone or 67 per part (SMS Partner's 67 is [I]). Parts are packed greedily, so an escape
  pair or a surrogate pair never straddles two parts. 0x09 is ``Ç`` as in 3GPP, so ``ç`` is not
  GSM-7 [I].
* Primotexto (§1.1): only the documented character list plus space, ``\\n`` and ``\\r`` [I] (no
  ``[``, ``]``, ``€``, ``ç``). The list ends with ``\\'``; both ``\\`` and ``'`` are accepted [U].
  Its length limit is unpublished (error 32); we apply the same 10 segments as SMS Partner [I].
* SMS Partner (§2.3, §4.4): any text; non-GSM text goes out as UCS-2 (``isUnicode=1``, which an
  administrator must enable [C]). At most 10 concatenated SMS (code 52); Low Cost allows one SMS
  (code 42); scheduled minutes are multiples of 5 (code 48).
* Sender: 3 to 11 ASCII letters or digits, not all digits (§1.1, §2.3). ``send_at``: an aware
  datetime or ISO-8601 text with an offset, strictly in the future.

Problem texts never hold a raw phone number (only :func:`mask_number`) nor the message text.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.gsm import SegmentInfo, count_segments

VENDORS = ("primotexto", "smspartner")
VENDOR_LABELS = {"primotexto": "Primotexto", "smspartner": "SMS Partner"}
ON_INVALID = ("fail", "skip")
#: Most concatenated SMS one message may need (SMS Partner code 52; assumed for Primotexto).
MAX_SEGMENTS = 10
#: Bad recipients listed one by one in an error; the rest are summed up in one line.
MAX_LISTED_RECIPIENTS = 100

#: Characters Primotexto accepts in a message (§1.1 list) plus space, LF and CR.
PRIMOTEXTO_CHARS: frozenset[str] = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "@£_!$\"#èé%ù&ìò()*:+;,<-=ÑñÅ.>Üüåé/?à|^¤{}~\\' \n\r"
)

MOBILE_REASON = "landline or non-mobile number (SMS needs a mobile)"
_NUMBER_TEXT = re.compile(r"[0-9+()./\s-]+")
_PHONE_LIKE = re.compile(r"\+?[0-9][0-9\s().\-/]*")
_SEPARATORS = re.compile(r"[,;\r\n]+")
#: Blocks reserved for fiction (ARCEP 06 39 98 xx xx, Ofcom 07700 900xxx): E.164 prefix -> length.
_FICTION = {"+3363998": 12, "+447700900": 13}
#: Regions tried for a national number that is invalid in France (overseas departments).
_FR_OVERSEAS = ("RE", "YT", "GP", "MQ", "GF", "PM")


def _short(value: str, limit: int = 24) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


def _chars(chars: Iterable[str], limit: int = 10) -> str:
    unique = list(dict.fromkeys(chars))
    shown = ", ".join(repr(c) for c in unique[:limit])
    return shown + (f" and {len(unique) - limit} more" if len(unique) > limit else "")


# --------------------------------------------------------------------------- numbers


def _parse_number(raw: object, default_region: str) -> tuple[object, str | None]:
    """Return ``(e164, None)``, or ``(what to mask, reason)`` when the number is refused.

    What to mask is the E.164 form for a real but non-mobile number, else the stripped input.
    """
    if not isinstance(raw, str):
        return raw, "not a string"
    text = raw.strip()
    if not text:
        return raw, "not a phone number (empty)"
    if len(text) > 40 or not _NUMBER_TEXT.fullmatch(text):
        return text, "not a phone number (only digits, spaces and + ( ) . - / are allowed)"
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
    if not phonenumbers.is_valid_number(number):
        national = number.country_code_source == phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY
        if not (national and default_region.upper() == "FR"):
            return text, "invalid number for its country"
        for region in _FR_OVERSEAS:
            number = phonenumbers.parse(text, region)
            if phonenumbers.is_valid_number(number):
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                break
        else:
            return text, "invalid number for its country"
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return e164, MOBILE_REASON
    return e164, None


def normalize_number(raw: str, default_region: str = "FR") -> str:
    """Return ``raw`` as an E.164 mobile number (``"+33612345678"``).

    :param raw: a number in national (``"06 12 34 56 78"``) or international form.
    :param default_region: the region assumed for national numbers.
    :raises ValueError: with the reason, which never contains the number itself.
    """
    e164, reason = _parse_number(raw, default_region)
    if reason is not None:
        raise ValueError(reason)
    return str(e164)


def mask_number(number: object) -> str:
    """Mask a number for logs and errors: ``"+33612345678"`` becomes ``"+3361****78"``.

    Phone-like text of 10 characters or more keeps its first 5 and last 2 characters; anything
    else keeps at most its last 2 characters. Never raises.
    """
    try:
        if isinstance(number, int) and not isinstance(number, bool):
            text = str(number)
        elif isinstance(number, str):
            text = number.strip()
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


# --------------------------------------------------------------------------- message, sender


def _vendor_key(vendor: object) -> str | None:
    if isinstance(vendor, str) and vendor.strip().lower() in VENDORS:
        return vendor.strip().lower()
    return None


def _vendor_problem(vendor: object) -> str:
    shown = (
        repr(_short(vendor))
        if isinstance(vendor, str)
        else "None"
        if vendor is None
        else type(vendor).__name__
    )
    return f"vendor {shown} is unknown; expected one of: {', '.join(VENDORS)}"


def _text_problems(text: object) -> list[str]:
    if text is None:
        return ["message is missing (None)"]
    if not isinstance(text, str):
        return [f"message must be a string, got {type(text).__name__}"]
    if not text:
        return ["message is empty"]
    if not text.strip():
        return ["message is only whitespace"]
    return []


def _too_long(info: SegmentInfo, vendor: str) -> str:
    limit = "its code 52" if vendor == "smspartner" else "assumed; its limit is unpublished"
    return (
        f"message needs {info.segments} SMS segments ({info.encoding}, {info.units} {info.unit_name}); "
        f"{VENDOR_LABELS[vendor]} sends at most {MAX_SEGMENTS} ({limit})"
    )


def message_problems(text: object, vendor: str, *, low_cost: bool = False) -> list[str]:
    """List what ``vendor`` would refuse in ``text`` (characters, length); empty when fine.

    :param low_cost: SMS Partner's Low Cost range (``gamme=2``), limited to one SMS (code 42).
    """
    key = _vendor_key(vendor)
    problems = [] if key else [_vendor_problem(vendor)]
    text_problems = _text_problems(text)
    if text_problems or key is None:
        return problems + text_problems
    assert isinstance(text, str)
    if key == "primotexto":
        refused = [c for c in text if c not in PRIMOTEXTO_CHARS]
        if refused:
            problems.append(f"message has characters Primotexto refuses: {_chars(refused)} (its code 31)")
        info = count_segments("".join(c for c in text if c in PRIMOTEXTO_CHARS))
    else:
        info = count_segments(text)
        if low_cost and info.segments > 1:
            problems.append(
                f"message needs {info.segments} SMS segments ({info.encoding}); SMS Partner's Low Cost "
                "range (gamme=2) sends one SMS of at most 160 characters (its code 42)"
            )
    if info.segments > MAX_SEGMENTS:
        problems.append(_too_long(info, key))
    return problems


def sender_problems(sender: object) -> list[str]:
    """List what is wrong with ``sender`` (``None`` means the gateway's default short code)."""
    if sender is None:
        return []
    if not isinstance(sender, str):
        return [f"sender must be a string, got {type(sender).__name__}"]
    shown = repr(_short(sender))
    problems = []
    if len(sender) < 3:
        problems.append(f"sender {shown} is too short: {len(sender)} characters, 3 to 11 needed")
    elif len(sender) > 11:
        problems.append(f"sender {shown} is too long: {len(sender)} characters, 3 to 11 allowed")
    bad = [c for c in sender if not (c.isascii() and c.isalnum())]
    if bad:
        problems.append(f"sender {shown} may only hold ASCII letters and digits, not {_chars(bad)}")
    elif sender.isdigit():
        problems.append(f"sender {shown} is all digits; it needs at least one letter (Primotexto code 23)")
    return problems


# --------------------------------------------------------------------------- schedule


def parse_send_at(send_at: object) -> datetime | None:
    """Return ``send_at`` as an aware UTC :class:`~datetime.datetime` (``None`` stays ``None``).

    Accepts an aware ``datetime`` (pendulum's included) or ISO-8601 text with an offset or ``Z``.

    :raises ValueError: naive, unparseable or of another type.
    """
    if send_at is None:
        return None
    if isinstance(send_at, datetime):
        value = send_at
    elif isinstance(send_at, str):
        text = send_at.strip()
        text = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"send_at {_short(send_at)!r} is not an ISO-8601 date-time (e.g. '2030-01-31T09:00:00+01:00')"
            ) from None
    else:
        raise ValueError(f"send_at must be a datetime or an ISO-8601 string, got {type(send_at).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"send_at {value.isoformat()} has no timezone; give an aware datetime "
            "(e.g. pendulum.datetime(..., tz='Europe/Paris')) or an ISO-8601 offset such as +01:00 or Z"
        )
    utc = value.astimezone(timezone.utc)  # plain datetime even for a pendulum DateTime
    return datetime.combine(utc.date(), utc.time(), tzinfo=timezone.utc)


def _utc_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    return now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)


def send_at_problems(send_at: object, now: datetime | None = None) -> list[str]:
    """List what is wrong with ``send_at``: unparseable, naive, or not strictly after ``now``."""
    try:
        when = parse_send_at(send_at)
    except ValueError as exc:
        return [str(exc)]
    current = _utc_now(now)
    if when is not None and when <= current:
        return [
            f"send_at {when:%Y-%m-%dT%H:%M:%SZ} is not in the future (now is {current:%Y-%m-%dT%H:%M:%SZ})"
        ]
    return []


# --------------------------------------------------------------------------- whole request


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
    invalid: tuple[dict, ...]
    duplicates: int
    segments: SegmentInfo
    send_at: datetime | None


def _python_list(text: str) -> list[object] | None:
    """``text`` as a Python list literal (what Jinja renders a list to), else ``None``."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, list) else None


def _recipient_list(recipients: object) -> tuple[list[object], list[str]]:
    """Flatten the accepted ``recipients`` shapes into a list, or report the shape's problem."""
    if recipients is None:
        return [], []
    if isinstance(recipients, str):
        text = recipients.strip()
        if not text.startswith("["):
            return [part.strip() for part in _SEPARATORS.split(text) if part.strip()], []
        try:
            return list(json.loads(text)), []
        except ValueError as exc:
            literal = _python_list(text)  # a list rendered by Jinja: "['+336...', '+336...']"
            if literal is not None:
                return literal, []
            detail = f" ({exc.msg} at character {exc.pos})" if isinstance(exc, json.JSONDecodeError) else ""
            return [], [f"recipients looks like a JSON list but is not valid JSON{detail}"]
    if isinstance(recipients, Mapping):
        return [recipients], []
    if isinstance(recipients, (set, frozenset)):
        return sorted(recipients, key=repr), []
    if isinstance(recipients, Iterable) and not isinstance(recipients, (bytes, bytearray)):
        return list(recipients), []
    return [], [
        "recipients must be a number, a comma- or newline-separated string of numbers, a list of them "
        f"or a JSON list, got {type(recipients).__name__}"
    ]


def split_recipients(recipients: object) -> list[object]:
    """Flatten the accepted ``recipients`` shapes into a raw list (no number checks).

    :raises SmsValidationError: when the shape itself is wrong (e.g. broken JSON, a number type).
    """
    entries, problems = _recipient_list(recipients)
    if problems:
        raise SmsValidationError(problems)
    return entries


def check_recipients(
    recipients: object, *, on_invalid: str = "fail"
) -> tuple[list[str], list[dict[str, Any]], int, list[str]]:
    """Normalise every recipient; return ``(valid, invalid, duplicates, problems)`` without raising.

    ``valid`` holds E.164 numbers, de-duplicated, in input order; ``invalid`` one
    ``{"index", "recipient" (masked), "reason"}`` per bad entry; ``problems`` the lines an error
    should show (bad entries are problems unless ``on_invalid="skip"`` leaves a valid number).
    """
    entries, problems = _recipient_list(recipients)
    valid: list[str] = []
    seen: set[str] = set()
    invalid: list[dict[str, Any]] = []
    duplicates = 0
    for index, entry in enumerate(entries):
        if isinstance(entry, Mapping) and "recipient" not in entry:
            invalid.append({"index": index, "recipient": "<mapping>", "reason": "no 'recipient' key"})
            continue
        raw = entry["recipient"] if isinstance(entry, Mapping) else entry
        number, reason = _parse_number(raw, "FR")
        if reason is not None:
            invalid.append({"index": index, "recipient": mask_number(number), "reason": reason})
        elif number in seen:
            duplicates += 1
        else:
            seen.add(str(number))
            valid.append(str(number))
    if not entries and not problems:
        problems.append("no recipients given")
    if invalid and (on_invalid != "skip" or not valid):
        listed = invalid[:MAX_LISTED_RECIPIENTS]
        problems.extend(f"recipients[{i['index']}] {i['recipient']}: {i['reason']}" for i in listed)
        if len(invalid) > len(listed):
            problems.append(f"... and {len(invalid) - len(listed)} more invalid recipients (not listed)")
        if on_invalid == "skip":
            problems.append(f"no valid recipient left after skipping {len(invalid)} invalid")
    return valid, invalid, duplicates, problems


def normalize_recipients(recipients: object) -> list[str]:
    """E.164 numbers from any accepted ``recipients`` shape, de-duplicated, in input order.

    :raises SmsValidationError: listing every bad entry (masked).
    """
    valid, _invalid, _duplicates, problems = check_recipients(recipients)
    if problems:
        raise SmsValidationError(problems)
    return valid


def validate_send(
    recipients: object,
    message: object,
    *,
    vendor: str,
    sender: object = None,
    send_at: object = None,
    on_invalid: str = "fail",
    now: datetime | None = None,
    low_cost: bool = False,
) -> ValidatedSend:
    """Check a whole send request and return it normalised, or raise every problem at once.

    :param recipients: one number, a comma-, semicolon- or newline-separated string of numbers, a
        list/tuple/set of numbers or of dicts with a ``"recipient"`` key, or a JSON list as text.
    :param on_invalid: ``"fail"`` (a bad number is a problem) or ``"skip"`` (bad numbers go to
        ``invalid``; it still fails when no valid number remains).
    :param low_cost: SMS Partner Low Cost range (one SMS at most); ignored on Primotexto.
    :raises SmsValidationError: listing every problem; numbers appear masked, the message never.
    """
    problems: list[str] = []
    key = _vendor_key(vendor)
    if key is None:
        problems.append(_vendor_problem(vendor))
    if on_invalid not in ON_INVALID:
        problems.append(f"on_invalid must be 'fail' or 'skip', got {_short(str(on_invalid))!r}")
    valid, invalid, duplicates, recipient_problems = check_recipients(recipients, on_invalid=on_invalid)
    problems.extend(recipient_problems)

    problems.extend(message_problems(message, key, low_cost=low_cost) if key else _text_problems(message))
    problems.extend(sender_problems(sender))
    schedule = send_at_problems(send_at, now)
    problems.extend(schedule)
    if not schedule and key == "smspartner":
        when = parse_send_at(send_at)
        if when is not None and (when.minute % 5 or when.second or when.microsecond):
            problems.append(
                f"send_at {when:%Y-%m-%dT%H:%M:%S}Z: SMS Partner schedules on 5-minute steps, so it must "
                "fall on :00, :05, ... :55 exactly (its code 48)"
            )
    if problems:
        raise SmsValidationError(problems)
    assert isinstance(message, str)
    return ValidatedSend(
        recipients=tuple(valid),
        invalid=tuple(invalid),
        duplicates=duplicates,
        segments=count_segments(message),
        send_at=parse_send_at(send_at),
    )
