"""Read values out of gateway replies whatever their JSON type. Pure: no I/O, no logging.

Gateways (and the proxies in front of them) are loose about types: an id comes as ``2270142``,
``"2270142"`` or ``2.270142e+06``; an amount as ``0.04``, ``"0.04"`` or ``"0,04"``; a flag as
``true``, ``"true"``, ``1`` or ``"1"``; a key as ``success`` or ``Success``. Each reader here takes
any value and returns the typed value or ``None`` when it cannot be read: it never raises, so a
hook can decide what a missing value means (for a send: the outcome is unknown). None of them puts
the value into an exception or a log line (a reply may hold phone numbers).

:func:`unusable` builds the error of a read whose reply has not the documented shape.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from airflow_provider_sms.exceptions import SmsServerError

#: Digits an id may have once read as an integer (ids are database keys; the cap keeps
#: ``1e999999999`` from becoming a billion-digit number).
MAX_ID_DIGITS = 30

_DIGITS = re.compile(r"[0-9]+")
_DECIMAL_ID = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _squeeze(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def field(payload: object, name: str, *aliases: str) -> Any:
    """The value of key ``name`` (or of the first alias present) in a JSON object, else ``None``.

    The exact key wins; then the same key in any case (``Success``); then the key with ``_`` and
    ``-`` ignored as well (``nb_sms`` finds ``nbSMS``, ``message_id`` finds ``messageId``). A
    payload that is not an object (a list, a string, ``None``) has no fields.
    """
    if not isinstance(payload, Mapping):
        return None
    names = (name, *aliases)
    for wanted in names:
        if wanted in payload:
            return payload[wanted]
    keys = [key for key in payload if isinstance(key, str)]
    for fold in (str.lower, _squeeze):
        for wanted in names:
            target = fold(wanted)
            for key in keys:
                if fold(key) == target:
                    return payload[key]
    return None


def message_id_of(value: object) -> str | None:
    """A gateway message id as text, or ``None`` when ``value`` is not a usable id.

    Usable: a positive integer (``2270142``), a string of digits (``"386479"``, kept as written),
    or a float or float-like string with an integral value (``2.264102e+06``, ``"2264102.0"``),
    read as that integer's decimal digits (``"2264102"``). Not usable: ``None``, booleans, zero,
    negatives, fractions, NaN, infinities, empty or other text, lists and objects.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if 0 < value < 10**MAX_ID_DIGITS else None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        return message_id_of(int(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _DIGITS.fullmatch(text):
        return text if 0 < len(text.lstrip("0")) <= MAX_ID_DIGITS else None
    if not _DECIMAL_ID.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern only lets decimal text through
        return None
    if number.adjusted() >= MAX_ID_DIGITS or number != number.to_integral_value():
        return None
    return message_id_of(int(number))


def number_of(value: object) -> float | None:
    """A finite number from ``1``, ``1.5``, ``"1.5"``, ``"1,5"`` (decimal comma), ``" 2 "``,
    ``"1e3"``; ``None`` for anything else (booleans, NaN, infinities, ``"1.000,5"``, text)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        try:
            number = float(value)
        except (OverflowError, ValueError):
            return None
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _NUMBER.fullmatch(text) or text.count(",") + text.count(".") > 1:
        return None
    try:
        number = float(text.replace(",", "."))
    except (OverflowError, ValueError):  # pragma: no cover - the pattern only lets numbers through
        return None
    return number if math.isfinite(number) else None


def count_of(value: object) -> int | None:
    """A non-negative whole number (``1``, ``"1"``, ``1.0``, ``"1.0"``, ``"1,0"``), else ``None``."""
    number = number_of(value)
    if number is None or number < 0 or not number.is_integer():
        return None
    return int(number)


def flag_of(value: object) -> bool | None:
    """A boolean from ``true``/``false``, ``1``/``0``, ``"true"``/``"false"`` (any case),
    ``"1"``/``"0"``, ``"yes"``/``"no"``, ``"on"``/``"off"``; ``None`` when missing or anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def text_of(value: object) -> str | None:
    """Non-empty text from a string or a number (an integral float loses its ``.0``); ``None`` for
    ``None``, booleans, empty strings, lists and objects."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    return None


def kind_of(payload: object) -> str:
    """What a parsed reply is, in words and without its content (for error messages)."""
    if payload is None:
        return "an empty body"
    if isinstance(payload, Mapping):
        return "a JSON object"
    if isinstance(payload, list):
        return "a JSON list"
    if isinstance(payload, bool):
        return "a JSON boolean"
    if isinstance(payload, (int, float)):
        return "a JSON number"
    if isinstance(payload, str):
        return "a JSON string"
    return f"a {type(payload).__name__}"


def body_kind(text: str) -> str:
    """What a reply body that is not JSON looks like, without its content (for error messages)."""
    head = text.lstrip()[:200].lower()
    if not head:
        return "an empty body"
    if head.startswith("<") and ("html" in head or "<body" in head or "<head" in head):
        return "an HTML page"
    if head.startswith(("{", "[")):
        return "truncated or malformed JSON"
    return "a body that is not JSON"


def unusable(gateway: str, operation: str, what: str) -> SmsServerError:
    """The error of a read whose reply is not the documented shape: ``what`` says what came
    instead (:func:`kind_of`), never its content. A server-side failure: Airflow retries the task."""
    return SmsServerError(f"{gateway} could not {operation}: the reply was {what}")
