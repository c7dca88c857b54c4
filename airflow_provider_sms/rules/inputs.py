"""Recipient inputs: every shape a DAG author may hand over (one number, a separated string, a
list, a JSON or Jinja-rendered list, dicts with a ``recipient`` key, an XCom) flattened and checked."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.rules.numbers import mask_number, parse_number

OnInvalid = Literal["fail", "skip"]
ON_INVALID: tuple[str, ...] = ("fail", "skip")
#: Bad recipients listed one by one in an error; the rest are summed up in one line.
MAX_LISTED_RECIPIENTS = 100
_SEPARATORS = re.compile(r"[,;\r\n]+")


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
        except RecursionError:
            return [], ["recipients is nested too deeply to be a list of numbers"]
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


def recipient_entries(recipients: object) -> tuple[list[object], list[str]]:
    """Flatten the accepted ``recipients`` shapes into a raw list; the shape's problem, if any."""
    return _recipient_list(recipients)


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
        number, reason = parse_number(raw, "FR")
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
