"""Send requests that validation must refuse, each with a substring its problem text must contain.

Shared by several test modules: ``from tests.helpers.bad_inputs import BAD_INPUTS``
Each entry is ``pytest.param(kwargs, expected_substring, id=...)``
where ``kwargs`` are the keyword arguments of ``gateway_rules.validate_send`` (``vendor`` names the
connection type); they hold no ``now``, so dates are either long past or far in the future.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

#: A valid French mobile used wherever the recipient is not the point of the entry.
GOOD_NUMBER = "0612345678"
FAR_FUTURE = "2099-06-01T09:00:00+02:00"


def _kw(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"recipients": GOOD_NUMBER, "message": "Hello", "vendor": "primotexto"}
    kwargs.update(overrides)
    return kwargs


#: Entries whose problem holds on either gateway (the others name their ``vendor``).
BOTH_GATEWAYS: set[str] = set()
#: What the hook door says where it differs from the operator's words (entry id -> substring).
HOOK_EXPECTED: dict[str, str] = {}
#: Entries about options only the operator has (``on_invalid``).
OPERATOR_ONLY: set[str] = set()


def _param(id: str, expected: str, *, hook: str | None = None, **overrides: Any) -> Any:
    if "vendor" not in overrides:
        BOTH_GATEWAYS.add(id)
    if hook is not None:
        HOOK_EXPECTED[id] = hook
    if "on_invalid" in overrides:
        OPERATOR_ONLY.add(id)
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
    _param("int-in-list", "recipients[0] 33612****78: a number, not a string", recipients=[33612345678]),
    _param("none-in-list", "not a string", recipients=["0612345678", None]),
    _param(
        "empty-in-list", "recipients[1] <empty>: not a phone number (empty)", recipients=[GOOD_NUMBER, ""]
    ),
    _param("dict-without-recipient", "no 'recipient' key", recipients=[{"number": GOOD_NUMBER}]),
    _param("recipients-none", "no recipients given", hook="not a string", recipients=None),
    _param("recipients-empty-list", "no recipients given", hook="sends to 1 to", recipients=[]),
    _param("recipients-blank-string", "no recipients given", hook="not a phone number", recipients=" , \n"),
    _param("recipients-int", "recipients must be a number", hook="not a string", recipients=612345678),
    _param("recipients-bad-json", "not valid JSON", hook="not a phone number", recipients='["0612345678",'),
    _param("plus-only", "not a phone number", recipients="+"),
    _param("full-width-digits", "only digits, spaces and +", recipients="０６１２３４５６７８"),
    _param("arabic-indic-digits", "only digits, spaces and +", recipients="٠٦١٢٣٤٥٦٧٨"),
    _param("comma-joined-in-list", "recipients[0]", recipients=["+33612345678,+33612345679"]),
    _param("semicolon-joined-in-list", "recipients[0]", recipients=["0612345678;0612345679"]),
    _param("nested-list", "recipients[0] <list>: not a string", recipients=[[GOOD_NUMBER]]),
    _param("deeply-nested-json", "nested too deeply", hook="not a phone number", recipients="[" * 50000),
    _param("bool-in-list", "recipients[0] <bool>: not a string", recipients=[True]),
    _param("float-recipients", "recipients must be a number", hook="not a string", recipients=612345678.0),
    _param("bytes-recipients", "recipients must be a number", hook="not a string", recipients=b"0612345678"),
    _param("bytes-in-list", "not a string", recipients=[b"0612345678"]),
    _param("lone-surrogate-in-number", "only digits, spaces and +", recipients="06\ud80012345678"),
    _param("nul-in-number", "only digits, spaces and +", recipients="06\x0012345678"),
    _param("dict-recipient-none", "not a string", recipients=[{"recipient": None}]),
    _param("number-over-40-characters", "not a phone number", recipients="0" * 41),
    _param("premium-rate", "landline or non-mobile number", recipients="08 99 12 34 56"),
    _param("json-object-string", "not a phone number", recipients='{"recipient": "0612345678"}'),
    _param("json-list-of-ints", "not a string", hook="not a phone number", recipients="[612345678]"),
    _param("skip-but-none-valid", "no valid recipient left", recipients=["0145678912"], on_invalid="skip"),
    _param("on-invalid-unknown", "must be one of 'fail', 'skip'", on_invalid="ignore"),
    # message
    _param("message-none", "message is missing", message=None),
    _param("message-empty", "message is empty", message=""),
    _param("message-whitespace", "message is only whitespace", message=" \n\t"),
    _param("message-not-str", "message must be a string, got int", message=123),
    _param("message-bytes", "message must be a string, got bytes", message=b"Hello"),
    _param("message-list", "message must be a string, got list", message=["Hello"]),
    _param("message-nul", "control characters or invalid text: U+0000", message="Code\x00 1234"),
    _param("message-bel", "U+0007", message="Ding\x07"),
    _param("message-esc", "U+001B", message="\x1b[31mRed"),
    _param("message-del", "U+007F", message="a\x7f"),
    _param("message-c1", "U+0085", message="a\x85b"),
    _param("message-lone-surrogate", "U+D800", message="Hi \ud800"),
    _param("message-5000-characters", "needs 33 SMS segments", message="a" * 5000),
    _param("primotexto-bracket", "Primotexto refuses: '['", message="Code [1234]", vendor="primotexto"),
    _param("primotexto-euro", "Primotexto refuses: '€'", message="Total 5€", vendor="primotexto"),
    _param("primotexto-c-cedilla", "Primotexto refuses: 'ç'", message="Reçu", vendor="primotexto"),
    _param("primotexto-emoji", "Primotexto refuses: '😀'", message="Hi 😀", vendor="primotexto"),
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
    _param("sender-19-characters", "is too long: 19 characters", sender="ABCDEFGHIJKLMNOPQRS"),
    _param("sender-empty", "is too short: 0 characters", sender=""),
    _param("sender-nul", "may only hold ASCII letters and digits", sender="AB\x00CD"),
    _param("sender-emoji", "may only hold ASCII letters and digits", sender="Shop😀"),
    _param("sender-list", "sender must be a string, got list", sender=["MyShop"]),
    # send_at
    _param("send-at-past", "is not in the future", send_at="2001-01-01T09:00:00+00:00"),
    _param("send-at-naive", "has no timezone", send_at="2099-06-01T09:00:00"),
    _param("send-at-garbage", "is not an ISO-8601 date-time", send_at="tomorrow"),
    _param("send-at-int", "send_at must be a datetime or an ISO-8601 string", send_at=4102444800),
    _param("send-at-year-9999-with-offset", "is out of range", send_at="9999-12-31T23:00:00-05:00"),
    _param("send-at-year-9999", "days ahead", send_at="9999-12-31T09:00:00+00:00"),
    _param("send-at-empty-string", "is not an ISO-8601 date-time", send_at=""),
    _param("send-at-date-only", "has no timezone", send_at="2099-01-01"),
    _param("send-at-bool", "send_at must be a datetime or an ISO-8601 string", send_at=True),
    _param("send-at-naive-datetime", "has no timezone", send_at=datetime(2099, 1, 1, 9)),
    # labels and flags
    _param("campaign-not-str", "campaign_name must be a string, got int", campaign_name=123),
    _param("campaign-empty", "campaign_name is empty", campaign_name=" "),
    _param("campaign-too-long", "campaign_name is too long", campaign_name="x" * 101),
    _param("campaign-control", "campaign_name has control characters", campaign_name="Promo\x00"),
    _param("category-not-str", "category must be a string, got int", category=7),
    _param("category-too-long", "category is too long", category="x" * 101),
    _param("smspartner-category-capitals", "lowercase, without spaces", vendor="smspartner", category="OTP"),
    _param("smspartner-category-space", "lowercase, without spaces", vendor="smspartner", category="my tag"),
    _param("smspartner-category-12", "at most 11", vendor="smspartner", category="a" * 12),
    _param("marketing-not-bool", "marketing must be True or False", marketing="yes"),
    _param(
        "smspartner-send-at-minute",
        "SMS Partner schedules on 5-minute steps",
        vendor="smspartner",
        send_at="2099-06-01T09:03:00+02:00",
    ),
]
