"""Read values out of gateway replies whatever their JSON type. Pure: no I/O, no logging.

Gateways (and the proxies in front of them) are loose about types: an id comes as ``2270142``,
``"2270142"`` or ``2.270142e+06``; an amount as ``0.04``, ``"0.04"`` or ``"0,04"``; a flag as
``true``, ``"true"``, ``1`` or ``"1"``; a key as ``success`` or ``Success``. Each reader here takes
any value and returns the typed value or ``None`` when it cannot be read: it never raises, so a
hook can decide what a missing value means (for a send: the outcome is unknown). None of them puts
the value into an exception or a log line (a reply may hold phone numbers).

On top of them: :func:`says_failed` (a reply object that says it failed), :func:`accepted_id` (the
id of a send reply that is an acceptance, or what came instead), :func:`read_json` /
:data:`NOT_JSON` / :func:`unreadable` (a body with nothing to read), :func:`kind_of` /
:func:`body_kind` / :func:`without` (what came, in words, without its content) and
:func:`unusable` (the error of a reply that is not the documented shape).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from airflow_provider_sms.exceptions import SmsOutcomeUnknownError, SmsServerError

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


def without(reply: object, what: str) -> str:
    """``"a JSON object without <what>"`` for an object, else what ``reply`` is (:func:`kind_of`)."""
    return f"a JSON object without {what}" if isinstance(reply, Mapping) else kind_of(reply)


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


def says_failed(payload: Mapping[str, Any]) -> bool:
    """Whether a reply object says it failed: ``success`` reads false (``false``, ``"false"``,
    ``0``, ``"0"``...), or there is no ``success`` but an error ``code`` (any but 200)."""
    success = flag_of(field(payload, "success"))
    code = count_of(field(payload, "code"))
    return success is False or (success is None and code is not None and code != 200)


def accepted_id(reply: object, id_key: str, *, needs_success: bool) -> tuple[str | None, str]:
    """``(message id, "")`` when ``reply`` is an acceptance: an object with a usable ``id_key``
    and, if ``needs_success``, a ``success`` that reads true; else ``(None, what came instead)``."""
    if needs_success and flag_of(field(reply, "success")) is not True:
        return None, without(reply, '"success": true')
    message_id = message_id_of(field(reply, id_key))
    return (message_id, "") if message_id else (None, without(reply, f"a usable {id_key}"))


class _NotJson:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_JSON"


#: What :func:`read_json` returns for a body that is not JSON (an HTML page, truncated JSON).
NOT_JSON: Any = _NotJson()


def read_json(text: str) -> Any:
    """A reply body's JSON value; ``None`` for an empty body, :data:`NOT_JSON` when it is not JSON
    (a nesting too deep to parse included)."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return NOT_JSON


def unreadable(payload: object, http_status: int, method: str) -> bool:
    """Whether a 2xx reply can hold nothing to read: a body that is not JSON, or no body at all
    where one is due (everywhere but HTTP 204 and DELETE, whose documented replies are empty)."""
    return payload is NOT_JSON or (payload is None and http_status != 204 and method != "DELETE")


def decode_body(raw: bytes, charset: str | None) -> str:
    """A reply body as text, whatever bytes came (as ``requests``' ``Response.text`` does)."""
    try:
        return raw.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


#: Said of a send whose outcome is unknown (the transport says it of lost replies too).
MAYBE_SENT = "; the gateway may have accepted it, so it is not retried automatically"


def unusable(
    gateway: str,
    operation: str,
    what: str,
    conn_id: str | None = None,
    http_status: int | None = None,
    send: bool = False,
) -> SmsServerError:
    """The error of a reply that is neither a refusal nor the documented shape; ``what`` says what
    came instead (:func:`kind_of`, :func:`body_kind`), never its content. For a ``send`` it is
    :class:`SmsOutcomeUnknownError` (the request may have been acted on: never retried); for a read
    :class:`SmsServerError` (a server-side failure, retried like a 5xx where the transport raises it)."""
    where = f" (connection '{conn_id}')" if conn_id else ""
    status = f"HTTP {http_status}, " if http_status is not None else ""
    text = f"{gateway} could not {operation}{where}: {status}the reply was {what}"
    if send:
        return SmsOutcomeUnknownError(text + MAYBE_SENT, http_status=http_status, conn_id=conn_id)
    return SmsServerError(text, http_status=http_status, conn_id=conn_id)
