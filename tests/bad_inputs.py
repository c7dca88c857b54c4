"""Send requests that validation must refuse, each with a substring its problem text must contain.

A plain module (no tests) so several test files can share it: ``from bad_inputs import BAD_INPUTS``
(``tests/`` is on ``sys.path``). Each entry is ``pytest.param(kwargs, expected_substring, id=...)``
where ``kwargs`` are the keyword arguments of ``gateway_rules.validate_send`` (``vendor`` names the
connection type); they hold no ``now``, so dates are either long past or far in the future.
"""

from __future__ import annotations

from typing import Any

import pytest

#: A valid French mobile used wherever the recipient is not the point of the entry.
GOOD_NUMBER = "0612345678"
FAR_FUTURE = "2099-06-01T09:00:00+02:00"


def _kw(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"recipients": GOOD_NUMBER, "message": "Hello", "vendor": "primotexto"}
    kwargs.update(overrides)
    return kwargs


def _param(id: str, expected: str, **overrides: Any) -> Any:
    return pytest.param(_kw(**overrides), expected, id=id)


BAD_INPUTS = [
    # recipients
    _param("landline", "landline or non-mobile number (SMS needs a mobile)", recipients="01 45 67 89 12"),
    _param("toll-free", "landline or non-mobile number", recipients="0800 12 34 56"),
    _param("foreign-landline", "landline or non-mobile number", recipients="+44 20 7946 0958"),
    _param("garbage", "not a phone number", recipients="hello"),
    _param("letters-in-number", "only digits, spaces and +", recipients="06 12 34 56 7A"),
    _param("too-short", "invalid number for its country (too short)", recipients="0612"),
    _param("too-long", "invalid number for its country (too long)", recipients="+336123456789"),
    _param("unallocated-range", "invalid number for its country", recipients="07 00 00 00 00"),
    _param("unknown-country-code", "unknown country calling code", recipients="+999 123456"),
    _param("int-in-list", "recipients[0] 33612****78: not a string", recipients=[33612345678]),
    _param("none-in-list", "not a string", recipients=["0612345678", None]),
    _param(
        "empty-in-list", "recipients[1] <empty>: not a phone number (empty)", recipients=[GOOD_NUMBER, ""]
    ),
    _param("dict-without-recipient", "no 'recipient' key", recipients=[{"number": GOOD_NUMBER}]),
    _param("recipients-none", "no recipients given", recipients=None),
    _param("recipients-empty-list", "no recipients given", recipients=[]),
    _param("recipients-blank-string", "no recipients given", recipients=" , \n"),
    _param("recipients-int", "recipients must be a number", recipients=612345678),
    _param("recipients-bad-json", "not valid JSON", recipients='["0612345678",'),
    _param("skip-but-none-valid", "no valid recipient left", recipients=["0145678912"], on_invalid="skip"),
    _param("on-invalid-unknown", "must be one of 'fail', 'skip'", on_invalid="ignore"),
    # message
    _param("message-none", "message is missing", message=None),
    _param("message-empty", "message is empty", message=""),
    _param("message-whitespace", "message is only whitespace", message=" \n\t"),
    _param("message-not-str", "message must be a string, got int", message=123),
    _param("primotexto-bracket", "Primotexto refuses: '['", message="Code [1234]"),
    _param("primotexto-euro", "Primotexto refuses: '€'", message="Total 5€"),
    _param("primotexto-c-cedilla", "Primotexto refuses: 'ç'", message="Reçu"),
    _param("primotexto-emoji", "Primotexto refuses: '😀'", message="Hi 😀"),
    _param("primotexto-11-segments", "needs 11 SMS segments (GSM-7", message="a" * (153 * 10 + 1)),
    _param(
        "smspartner-11-gsm-segments",
        "needs 11 SMS segments (GSM-7, 1531 septets); SMS Partner sends at most 10",
        vendor="smspartner",
        message="a" * (153 * 10 + 1),
    ),
    _param(
        "smspartner-11-ucs2-segments",
        "needs 11 SMS segments (UCS-2, 671 UTF-16 units)",
        vendor="smspartner",
        message="é" * 600 + "ç" * 71,
    ),
    # sender
    _param("sender-short", "sender 'AB' is too short", sender="AB"),
    _param("sender-long", "sender 'ABCDEFGHIJKL' is too long", sender="ABCDEFGHIJKL"),
    _param("sender-digits", "is all digits", sender="12345"),
    _param("sender-space", "may only hold ASCII letters and digits, not ' '", sender="My Co"),
    _param("sender-accent", "not 'é'", sender="Café"),
    _param("sender-not-str", "sender must be a string, got int", sender=12345),
    # send_at
    _param("send-at-past", "is not in the future", send_at="2001-01-01T09:00:00+00:00"),
    _param("send-at-naive", "has no timezone", send_at="2099-06-01T09:00:00"),
    _param("send-at-garbage", "is not an ISO-8601 date-time", send_at="tomorrow"),
    _param("send-at-int", "send_at must be a datetime or an ISO-8601 string", send_at=4102444800),
    _param(
        "smspartner-send-at-minute",
        "SMS Partner schedules on 5-minute steps",
        vendor="smspartner",
        send_at="2099-06-01T09:03:00+02:00",
    ),
]
