"""Validation rules: numbers, masking, segments, each gateway's characters, sender, schedule, requests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pendulum
import pytest

from airflow_provider_sms.exceptions import SmsConfigurationError, SmsValidationError
from airflow_provider_sms.hooks import HOOK_CLASSES
from airflow_provider_sms.hooks.primotexto import PRIMOTEXTO_CHARS
from airflow_provider_sms.rules import text as gsm
from airflow_provider_sms.rules.numbers import mask_number, normalize_number
from airflow_provider_sms.rules.request import sender_problems
from airflow_provider_sms.rules.schedule import parse_send_at, send_at_problems
from airflow_provider_sms.rules.text import SegmentInfo, count_segments
from tests.helpers.bad_inputs import BAD_INPUTS
from tests.helpers.gateway_rules import gateway, message_problems, validate_send

VENDORS = tuple(HOOK_CLASSES)

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=timezone.utc)
LATER = "2030-01-15T13:00:00+00:00"


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0612345678", "+33612345678"),
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("  0612345678\n", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("00 33 7 81 23 45 67", "+33781234567"),
        ("+447400123456", "+447400123456"),
        ("0044 7400 123456", "+447400123456"),
        ("+447700900123", "+447700900123"),  # Ofcom drama range: invalid for phonenumbers
        ("+4915123456789", "+4915123456789"),
        ("+1 202 555 0123", "+12025550123"),  # US: FIXED_LINE_OR_MOBILE
        ("+33639980012", "+33639980012"),  # ARCEP fiction range: invalid for phonenumbers
        ("06 39 98 00 01", "+33639980001"),
        ("0692 12 34 56", "+262692123456"),  # Réunion mobile written nationally
        ("0690 00 12 34", "+590690001234"),  # Guadeloupe
        ("+262 692 12 34 56", "+262692123456"),
    ],
)
def test_normalize_number_accepts(raw, expected):
    assert normalize_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("01 45 67 89 12", "landline or non-mobile number (SMS needs a mobile)"),
        ("+33145678912", "landline or non-mobile number (SMS needs a mobile)"),
        ("0800123456", "landline or non-mobile number (SMS needs a mobile)"),
        ("+44 20 7946 0958", "landline or non-mobile number (SMS needs a mobile)"),
        ("0590 12 34 56", "landline or non-mobile number (SMS needs a mobile)"),
        ("0700000000", "invalid number for its country"),
        ("+447700901000", "invalid number for its country"),  # just past the drama block
        ("0612", "invalid number for its country (too short)"),
        ("061234567", "invalid number for its country"),  # phonenumbers keeps the 0: +33061234567
        ("+336123456789", "invalid number for its country (too long)"),
        ("+999 123456", "not a phone number (unknown country calling code)"),
        ("abc", "not a phone number"),
        ("0612345678a", "not a phone number"),
        ("+33612345678 ext 12", "not a phone number"),
        ("tel:+33612345678", "not a phone number"),
        ("1", "not a phone number"),
        ("", "not a phone number (empty)"),
        ("   ", "not a phone number (empty)"),
        ("0" * 60, "not a phone number"),
        (612345678, "a number, not a string"),
        (None, "not a string"),
        (b"0612345678", "not a string"),
    ],
)
def test_normalize_number_refuses_with_a_reason_and_no_number(raw, reason):
    with pytest.raises(ValueError) as info:
        normalize_number(raw)
    assert str(info.value).startswith(reason)
    assert "612345678" not in str(info.value)


def test_normalize_number_default_region():
    assert normalize_number("07400 123456", default_region="GB") == "+447400123456"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+33612345678", "+3361****78"),
        ("+447700900123", "+4477****23"),
        ("0612345678", "06123****78"),
        (" +33612345678 ", "+3361****78"),
        (33612345678, "33612****78"),
        ("0612", "**12"),
        ("061", "***"),
        ("hello world, this is long", "********ng"),
        ("", "<empty>"),
        (None, "<none>"),
        ({"recipient": "+33612345678"}, "<dict>"),
        (3.5, "<float>"),
    ],
)
def test_mask_number(number, masked):
    assert mask_number(number) == masked


# --------------------------------------------------------------------------- segments


def test_gsm_tables_match_the_reference():
    assert len(gsm.GSM7_BASIC) == 127  # 128 positions minus ESC
    assert not gsm.GSM7_BASIC & gsm.GSM7_EXTENSION
    assert set("[]{}\\^~|€") <= gsm.GSM7_EXTENSION
    assert "Ç" in gsm.GSM7_BASIC
    assert not set("çêâîôû`") & (gsm.GSM7_BASIC | gsm.GSM7_EXTENSION)
    assert PRIMOTEXTO_CHARS - {" ", "\n", "\r"} <= gsm.GSM7_BASIC | gsm.GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a", "GSM-7", 1, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),
        ("€" * 80 + "a", "GSM-7", 161, 2),
        # 152 septets then an escape pair: it cannot straddle, so it opens part 2 (and 2 + 152 > 153).
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("a" * 151 + "€" + "a" * 153, "GSM-7", 306, 2),
        ("{}[]~|^\\\x0c", "GSM-7", 18, 1),
        ("Ça va", "GSM-7", 5, 1),
        ("ça va", "UCS-2", 5, 1),
        ("é" * 70, "GSM-7", 70, 1),
        ("ç" * 70, "UCS-2", 70, 1),
        ("ç" * 71, "UCS-2", 71, 2),
        ("ç" * 134, "UCS-2", 134, 2),
        ("ç" * 135, "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),
        ("😀", "UCS-2", 2, 1),
        # 66 units then a surrogate pair: it moves whole to part 2.
        ("ç" * 66 + "😀" + "ç" * 66, "UCS-2", 134, 3),
        ("ç" * 65 + "😀" + "ç" * 67, "UCS-2", 134, 2),
        ("Prix: 5€ ê", "UCS-2", 10, 1),
    ],
)
def test_count_segments(text, encoding, units, segments):
    assert count_segments(text) == SegmentInfo(encoding, units, segments)


def test_segment_info_to_dict():
    assert count_segments("a" * 161).to_dict() == {"encoding": "GSM-7", "units": 161, "segments": 2}


def test_count_segments_refuses_non_text():
    with pytest.raises(TypeError):
        count_segments(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- message characters


@pytest.mark.parametrize(
    "text", ["Code 1234", "{ok} | ¤ 100", "Ete? été à l'école\nù+", "a~b^c\\d", "x\r\ny"]
)
def test_primotexto_accepts(text):
    assert message_problems(text, "primotexto") == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Code [1234]", "'[', ']'"),
        ("5€", "'€'"),
        ("reçu", "'ç'"),
        ("hi 😀", "'😀'"),
        ("tab\there", "'\\t'"),
        ("[[[ç[", "'[', 'ç'"),
        ("Çava ÉÀÄ", "'Ç', 'É', 'À', 'Ä'"),  # capitals: only Ñ Å Ü are listed
    ],
)
def test_primotexto_names_refused_characters(text, shown):
    assert message_problems(text, "primotexto") == [
        f"message has characters Primotexto refuses: {shown} (its code 31); "
        "unsupported_characters='replace' sends their closest GSM-7 form"
    ]


def test_primotexto_refused_list_is_capped():
    (problem,) = message_problems("".join(chr(0x3B1 + i) for i in range(15)), "primotexto")
    assert "and 5 more (its code 31)" in problem


@pytest.mark.parametrize("vendor", VENDORS)
def test_ten_segments_is_the_ceiling(vendor):
    assert message_problems("a" * 1530, vendor) == []
    (problem,) = message_problems("a" * 1531, vendor)
    assert "needs 11 SMS segments (GSM-7, 1531 septets)" in problem


def test_smspartner_ceiling_in_ucs2_and_any_characters_allowed():
    assert message_problems("[€] ç 😀 ê", "smspartner") == []
    assert message_problems("ç" * 670, "smspartner") == []
    (problem,) = message_problems("ç" * 671, "smspartner")
    assert problem == (
        "message needs 11 SMS segments (UCS-2, 671 UTF-16 units); SMS Partner sends at most 10 (its code 52)"
    )


def test_primotexto_counts_segments_without_refused_characters():
    # 1530 GSM-7 septets plus one refused character: only the character problem is reported.
    assert len(message_problems("a" * 1530 + "😀", "primotexto")) == 1


def test_smspartner_low_cost_is_one_sms():
    assert message_problems("a" * 160, "smspartner", low_cost=True) == []
    (problem,) = message_problems("a" * 161, "smspartner", low_cost=True)
    assert "Low Cost" in problem
    assert "code 42" in problem
    assert message_problems("a" * 161, "primotexto", low_cost=True) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, "message is missing (None)"),
        ("", "message is empty"),
        (" \n ", "message is only whitespace"),
        (42, "message must be a string, got int"),
    ],
)
def test_message_must_have_text(text, problem):
    assert message_problems(text, "smspartner") == [problem]


@pytest.mark.parametrize("conn_type", ["twilio", None])
def test_unknown_connection_type_is_refused_before_any_rule(conn_type):
    with pytest.raises(SmsConfigurationError, match=r"SMS operators need one of: primotexto, smspartner"):
        gateway(conn_type)


# --------------------------------------------------------------------------- sender


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        (None, []),
        ("MyCo1", []),
        ("ABC", []),
        ("ABCDEFGHIJK", []),
        ("AB", ["sender 'AB' is too short: 2 characters, 3 to 11 needed"]),
        ("", ["sender '' is too short: 0 characters, 3 to 11 needed"]),
        ("ABCDEFGHIJKL", ["sender 'ABCDEFGHIJKL' is too long: 12 characters, 3 to 11 allowed"]),
        ("12345", ["sender '12345' is all digits; it needs at least one letter"]),
        ("My Co", ["sender 'My Co' may only hold ASCII letters and digits, not ' '"]),
        ("Café", ["sender 'Café' may only hold ASCII letters and digits, not 'é'"]),
        ("١٢٣", ["sender '١٢٣' may only hold ASCII letters and digits, not '١', '٢', '٣'"]),
        (
            "My Company Ltd",
            [
                "sender 'My Company Ltd' is too long: 14 characters, 3 to 11 allowed",
                "sender 'My Company Ltd' may only hold ASCII letters and digits, not ' '",
            ],
        ),
        (12345, ["sender must be a string, got int"]),
    ],
)
def test_sender_problems(sender, expected):
    assert sender_problems(sender) == expected


# --------------------------------------------------------------------------- send_at


@pytest.mark.parametrize(
    "send_at",
    [
        None,
        LATER,
        "2030-01-15T13:00:00Z",
        "2030-01-15T14:00:00+01:00",
        NOW + timedelta(seconds=1),
        pendulum.datetime(2030, 1, 15, 14, tz="Europe/Paris"),
    ],
)
def test_send_at_accepted(send_at):
    assert send_at_problems(send_at, now=NOW) == []


@pytest.mark.parametrize(
    ("send_at", "problem"),
    [
        (NOW, "is not in the future"),
        ("2030-01-15T12:59:00+01:00", "is not in the future"),
        (pendulum.datetime(2001, 1, 1), "is not in the future"),
        (datetime(2030, 6, 1, 9, 0), "has no timezone"),
        ("2030-06-01T09:00:00", "has no timezone"),
        ("2030-06-01", "has no timezone"),
        ("tomorrow at nine", "is not an ISO-8601 date-time"),
        ("", "is not an ISO-8601 date-time"),
        (1893456000, "send_at must be a datetime or an ISO-8601 string, got int"),
        (pendulum.date(2030, 6, 1), "got Date"),
    ],
)
def test_send_at_refused(send_at, problem):
    (text,) = send_at_problems(send_at, now=NOW)
    assert problem in text


def test_send_at_naive_now_is_utc_and_default_now_is_real_time():
    assert send_at_problems(LATER, now=NOW.replace(tzinfo=None)) == []
    assert send_at_problems("2001-01-01T00:00:00Z") != []


def test_parse_send_at_returns_plain_utc():
    when = parse_send_at(pendulum.datetime(2030, 7, 1, 9, 30, tz="Europe/Paris"))
    assert when == datetime(2030, 7, 1, 7, 30, tzinfo=timezone.utc)
    assert type(when) is datetime
    assert when.tzinfo is timezone.utc
    assert parse_send_at("2030-07-01T09:30:00.250+02:00") == datetime(
        2030, 7, 1, 7, 30, 0, 250000, tzinfo=timezone.utc
    )
    assert parse_send_at(None) is None
    with pytest.raises(ValueError, match="no timezone"):
        parse_send_at("2030-07-01T09:30:00")


# --------------------------------------------------------------------------- validate_send


def test_validate_send_normalises_deduplicates_and_keeps_order():
    result = validate_send(
        ["07 81 23 45 67", "0612345678", "+33 6 12 34 56 78", "0033612345678", "+447400123456", "0781234567"],
        "Hello",
        vendor="primotexto",
        sender="MyCo",
        send_at=LATER,
        now=NOW,
    )
    assert result.recipients == ("+33781234567", "+33612345678", "+447400123456")
    assert result.duplicates == 3
    assert result.invalid == ()
    assert result.segments == SegmentInfo("GSM-7", 5, 1)
    assert result.send_at == datetime(2030, 1, 15, 13, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "recipients",
    [
        "0612345678, +447400123456",
        "0612345678;+447400123456",
        "0612345678\n+447400123456\n",
        '["0612345678", "+447400123456"]',
        ("0612345678", "+447400123456"),
        [{"recipient": "+33612345678", "message_id": "1"}, {"recipient": "+447400123456"}],
        '[{"recipient": "0612345678"}, "+447400123456"]',
        iter(["0612345678", "+447400123456"]),
    ],
)
def test_validate_send_recipient_shapes(recipients):
    result = validate_send(recipients, "Hi", vendor="smspartner")
    assert result.recipients == ("+33612345678", "+447400123456")


def test_validate_send_single_number_set_and_mapping():
    assert validate_send("06 12 34 56 78", "Hi", vendor="primotexto").recipients == ("+33612345678",)
    # A set has no order: it is taken sorted, so the result is at least deterministic.
    assert validate_send({"0612345678", "+447400123456"}, "Hi", vendor="primotexto").recipients == (
        "+447400123456",
        "+33612345678",
    )
    assert validate_send({"recipient": "0612345678"}, "Hi", vendor="primotexto").recipients == (
        "+33612345678",
    )


def test_validate_send_reports_every_problem_once_and_masks_numbers():
    secret_message = "Your code is 982341"
    with pytest.raises(SmsValidationError) as info:
        validate_send(
            ["0612345678", "01 45 67 89 12", "0699", "+33612345678"],
            secret_message + " [ok]",
            vendor="primotexto",
            sender="12",
            send_at="2001-01-01T00:00:00Z",
            on_invalid="sometimes",
            now=NOW,
        )
    problems = info.value.problems
    assert problems == [
        "on_invalid must be one of 'fail', 'skip', got 'sometimes'",
        "recipients[1] +3314****12: landline or non-mobile number (SMS needs a mobile)",
        "recipients[2] **99: invalid number for its country (too short)",
        "message has characters Primotexto refuses: '[', ']' (its code 31); "
        "unsupported_characters='replace' sends their closest GSM-7 form",
        "sender '12' is too short: 2 characters, 3 to 11 needed",
        "sender '12' is all digits; it needs at least one letter",
        "send_at 2001-01-01T00:00:00Z is not in the future (now is 2030-01-15T12:00:00Z)",
    ]
    text = str(info.value)
    assert text.startswith("7 problems in the SMS request (nothing was sent):")
    for raw in ("0145678912", "01 45 67 89 12", "145678912", "0699", "982341"):
        assert raw not in text


def test_validate_send_skip_mode():
    result = validate_send(
        ["0612345678", "01 45 67 89 12", {"number": "x"}, "garbage", "+33612345678"],
        "Hi",
        vendor="smspartner",
        on_invalid="skip",
    )
    assert result.recipients == ("+33612345678",)
    assert result.duplicates == 1
    assert result.invalid == (
        {
            "index": 1,
            "recipient": "+3314****12",
            "reason": "landline or non-mobile number (SMS needs a mobile)",
        },
        {"index": 2, "recipient": "<mapping>", "reason": "no 'recipient' key"},
        {
            "index": 3,
            "recipient": "*****ge",
            "reason": "not a phone number (only digits, spaces and + ( ) . - / are allowed)",
        },
    )


def test_validate_send_skip_mode_still_fails_on_other_problems_without_listing_skipped_numbers():
    with pytest.raises(SmsValidationError) as info:
        validate_send(["0612345678", "0145678912"], "", vendor="smspartner", on_invalid="skip")
    assert info.value.problems == ["message is empty"]


def test_validate_send_skip_mode_with_no_valid_number_lists_them():
    with pytest.raises(SmsValidationError) as info:
        validate_send(["0145678912", "0612"], "Hi", vendor="smspartner", on_invalid="skip")
    assert info.value.problems == [
        "recipients[0] +3314****12: landline or non-mobile number (SMS needs a mobile)",
        "recipients[1] **12: invalid number for its country (too short)",
        "no valid recipient left after skipping 2 invalid",
    ]


def test_validate_send_caps_the_listed_recipients():
    with pytest.raises(SmsValidationError) as info:
        validate_send(["0145678912"] * 150, "Hi", vendor="primotexto")
    assert len(info.value.problems) == 101
    assert info.value.problems[-1] == "... and 50 more invalid recipients (not listed)"


def test_validate_send_smspartner_schedule_steps():
    when = validate_send(
        "0612345678", "Hi", vendor="smspartner", send_at="2030-01-15T14:05:00+01:00", now=NOW
    )
    assert when.send_at == datetime(2030, 1, 15, 13, 5, tzinfo=timezone.utc)
    for bad in ("2030-01-15T14:07:00+01:00", "2030-01-15T14:05:30+01:00"):
        with pytest.raises(SmsValidationError, match="5-minute steps"):
            validate_send("0612345678", "Hi", vendor="smspartner", send_at=bad, now=NOW)
    # Primotexto takes any millisecond.
    validate_send("0612345678", "Hi", vendor="primotexto", send_at="2030-01-15T14:07:31+01:00", now=NOW)


def test_validate_send_uses_the_connection_sender_and_checks_it_with_the_rest():
    hook = gateway("smspartner", sender="MyShop")
    assert hook.validate_send("0612345678", "Hi").recipients == ("+33612345678",)
    with pytest.raises(SmsValidationError) as info:
        hook.validate_send("0612345678", "", sender="x")
    assert info.value.problems == [
        "message is empty",
        "sender 'x' is too short: 1 characters, 3 to 11 needed",
    ]


def test_validate_send_returns_ucs2_segments_for_smspartner():
    assert validate_send("0612345678", "ç" * 71, vendor="smspartner").segments == SegmentInfo("UCS-2", 71, 2)


def test_bad_inputs_table_is_large_and_unique():
    ids = [p.id for p in BAD_INPUTS]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(("kwargs", "expected"), BAD_INPUTS)
def test_validate_send_bad_inputs(kwargs, expected):
    with pytest.raises(SmsValidationError) as info:
        validate_send(**kwargs)
    assert any(expected in problem for problem in info.value.problems), info.value.problems
    text = str(info.value)
    assert "612345678" not in text
    if isinstance(kwargs.get("message"), str) and kwargs["message"].strip():
        assert kwargs["message"] not in text
