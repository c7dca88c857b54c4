"""The loose readers of gateway replies (``hooks/reply_values.py``): pure, never raising."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from airflow_provider_sms.exceptions import SmsOutcomeUnknownError, SmsServerError
from airflow_provider_sms.hooks.reply_values import (
    MAX_ID_DIGITS,
    NOT_JSON,
    accepted_id,
    body_kind,
    count_of,
    decode_body,
    field,
    flag_of,
    kind_of,
    message_id_of,
    number_of,
    read_json,
    says_failed,
    text_of,
    unreadable,
    unusable,
    without,
)
from airflow_provider_sms.hooks.transport import parse_code, parse_json

ODD = [None, True, False, [], [1], {}, {"a": 1}, "", " ", object(), b"1", float("nan"), float("inf")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2270142, "2270142"),
        ("386479", "386479"),
        (" 386479 ", "386479"),
        ("0386479", "0386479"),  # a string of digits is kept as written
        (2.264102e06, "2264102"),  # the SMS Partner Go SDK's fixture
        ("2.264102e+06", "2264102"),
        ("2.264102E6", "2264102"),
        ("2264102.0", "2264102"),
        ("2264102.", "2264102"),
        ("22641020e-1", "2264102"),
        (Decimal("2264102"), None),  # not a JSON type
        (1, "1"),
        (10**29, str(10**29)),
    ],
)
def test_message_id_of_usable_ids(value, expected):
    assert message_id_of(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        *ODD,
        0,
        -1,
        "0",
        "000",
        "-5",
        "+5",
        2264102.5,
        "2264102.5",
        "2.2641025e+06",
        "abc",
        "None",
        "null",
        "12a",
        "1_000",
        "1 000",
        "0x10",
        "NaN",
        "Infinity",
        "1e999999999",  # would be a billion digits
        10**MAX_ID_DIGITS,
        1e40,
        "١٢٣",  # non-ASCII digits
    ],
)
def test_message_id_of_unusable(value):
    assert message_id_of(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1.0),
        (0.045, 0.045),
        ("1,0", 1.0),
        ("1.0", 1.0),
        ("0,75", 0.75),
        (" 2 ", 2.0),
        ("-3", -3.0),
        ("+3", 3.0),
        (".5", 0.5),
        (",5", 0.5),
        ("1.", 1.0),
        ("1e3", 1000.0),
        ("10225.119", 10225.119),
        (Decimal("1.5"), 1.5),
        (0, 0.0),
    ],
)
def test_number_of(value, expected):
    assert number_of(value) == expected


@pytest.mark.parametrize(
    "value", [*ODD, "1.000,5", "1,000.5", "1,0,0", "abc", "1 000", "n/a", "1e999", "NaN", "1_0", "١"]
)
def test_number_of_unreadable(value):
    assert number_of(value) is None


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 1), ("1", 1), (1.0, 1), ("1.0", 1), ("1,0", 1), (0, 0), ("12", 12)]
)
def test_count_of(value, expected):
    assert count_of(value) == expected


@pytest.mark.parametrize("value", [*ODD, 1.5, "1.5", -1, "-1", "x"])
def test_count_of_unreadable(value):
    assert count_of(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
        ("1", True),
        ("0", False),
        ("true", True),
        ("false", False),
        ("True", True),
        ("FALSE", False),
        (" yes ", True),
        ("no", False),
        ("on", True),
        ("off", False),
    ],
)
def test_flag_of(value, expected):
    assert flag_of(value) is expected


@pytest.mark.parametrize("value", [None, "", "maybe", 2, -1, 0.5, [], {}, [True], "tru"])
def test_flag_of_missing_or_unreadable(value):
    assert flag_of(value) is None


def test_field_exact_then_case_then_separators():
    payload = {"success": True, "Message_Id": 1, "nbSMS": 2, "stopSMS": "1", "Code": 200}
    assert field(payload, "success") is True
    assert field(payload, "Success") is True
    assert field(payload, "message_id") == 1
    assert field(payload, "messageId") == 1
    assert field(payload, "nb_sms") == 2
    assert field(payload, "stopSms") == "1"
    assert field(payload, "code") == 200
    assert field(payload, "missing") is None
    assert field({"snapshotId": 1, "SnapshotId": 2}, "snapshotId") == 1  # the exact key wins
    assert field({"SnapshotId": 2, "snapshotid": 3}, "snapshotId") == 2  # then the first in any case


def test_field_aliases_in_order():
    assert field({"status": "a", "statut": "b"}, "statut", "status") == "b"
    assert field({"status": "a"}, "statut", "status") == "a"
    assert field({"Errors": [1]}, "error", "errors") == [1]


@pytest.mark.parametrize("payload", [None, [], [{"success": True}], "success", 1, {1: "x"}])
def test_field_of_something_that_is_not_an_object(payload):
    assert field(payload, "success") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("x", "x"), (" x ", "x"), (12, "12"), (12.0, "12"), (1.5, "1.5"), ("", None), ("  ", None)],
)
def test_text_of(value, expected):
    assert text_of(value) == expected


@pytest.mark.parametrize("value", [None, True, False, [], {}, ["x"]])
def test_text_of_nothing(value):
    assert text_of(value) is None


def test_kind_of_describes_without_content():
    assert kind_of(None) == "an empty body"
    assert kind_of({"x": "+33612345678"}) == "a JSON object"
    assert kind_of([1]) == "a JSON list"
    assert kind_of(True) == "a JSON boolean"
    assert kind_of(1.5) == "a JSON number"
    assert kind_of("secret") == "a JSON string"


def test_body_kind():
    assert body_kind("<!DOCTYPE html><html><body>Maintenance</body></html>") == "an HTML page"
    assert body_kind("  <HTML>") == "an HTML page"
    assert body_kind('{"success": true, "mess') == "truncated or malformed JSON"
    assert body_kind("[1, 2") == "truncated or malformed JSON"
    assert body_kind("") == "an empty body"
    assert body_kind("Service Unavailable") == "a body that is not JSON"
    assert "Maintenance" not in body_kind("<html>Maintenance</html>")


def test_unusable_is_a_server_error_without_content():
    error = unusable("SMS Partner", "read the STOP list", kind_of([1]))
    assert isinstance(error, SmsServerError)
    assert str(error) == "SMS Partner could not read the STOP list: the reply was a JSON list"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("  ", None),
        ("[1]", [1]),
        ('{"a": 1}', {"a": 1}),
        ("<html></html>", NOT_JSON),
        ('{"a": 1', NOT_JSON),
        ("[" * 100_000 + "]" * 100_000, NOT_JSON),  # RecursionError, not a crash
    ],
)
def test_parse_json(text, expected):
    if expected is NOT_JSON:
        assert parse_json(text) is NOT_JSON
    else:
        assert parse_json(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, 10),
        ("10", 10),
        (10.0, 10),
        ("10.0", 10),
        (" 72 ", 72),
        (None, None),
        (True, None),
        ("x", None),
        (-1, None),
    ],
)
def test_parse_code(value, expected):
    assert parse_code(value) == expected


@pytest.mark.parametrize(
    "value", [*ODD[:-2], 0, -1, 1.5, "1,5", "2.264102e+06", "x" * 10_000, "9" * 5_000, json.dumps([1])]
)
def test_no_reader_raises(value):
    for read in (message_id_of, number_of, count_of, flag_of, text_of, kind_of):
        read(value)
    field({"k": value}, "k")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"success": False}, True),
        ({"success": "false"}, True),
        ({"Success": "0"}, True),
        ({"success": 0, "code": 10}, True),
        ({"code": 71}, True),
        ({"code": "72"}, True),
        ({"code": 200}, False),
        ({"success": True, "code": 10}, False),  # success decides when it is readable
        ({"success": "maybe", "code": 10}, True),  # unreadable success: the code decides
        ({}, False),
        ({"snapshotId": "1"}, False),
    ],
)
def test_says_failed(payload, expected):
    assert says_failed(payload) is expected


@pytest.mark.parametrize(
    ("reply", "needs_success", "expected"),
    [
        ({"snapshotId": "386479"}, False, ("386479", "")),
        ({"snapshotId": 2.264102e06}, False, ("2264102", "")),
        ({"snapshotId": None}, False, (None, "a JSON object without a usable snapshotId")),
        ([1], False, (None, "a JSON list")),
        (None, False, (None, "an empty body")),
        ({"success": True, "message_id": 1}, True, ("1", "")),
        ({"success": "1", "Message_Id": "2.264102e+06"}, True, ("2264102", "")),
        ({"message_id": 1}, True, (None, 'a JSON object without "success": true')),
        ({"success": True}, True, (None, "a JSON object without a usable message_id")),
        ("ok", True, (None, "a JSON string")),
    ],
)
def test_accepted_id(reply, needs_success, expected):
    key = "snapshotId" if not needs_success else "message_id"
    assert accepted_id(reply, key, needs_success=needs_success) == expected


def test_without():
    assert without({}, "a statut") == "a JSON object without a statut"
    assert without([1], "a statut") == "a JSON list"


@pytest.mark.parametrize(
    ("payload", "status", "method", "expected"),
    [
        (NOT_JSON, 200, "GET", True),
        (NOT_JSON, 204, "DELETE", True),
        (None, 200, "GET", True),
        (None, 200, "POST", True),
        (None, 204, "GET", False),
        (None, 200, "DELETE", False),
        ({}, 200, "GET", False),
        ([], 200, "GET", False),
    ],
)
def test_unreadable(payload, status, method, expected):
    assert unreadable(payload, status, method) is expected


def test_decode_body_never_raises():
    assert decode_body("été".encode(), "utf-8") == "été"
    assert decode_body(b"\xff\xfe", "utf-8") == "\ufffd\ufffd"
    assert decode_body("été".encode(), "x-unknown-charset") == "été"
    assert decode_body("été".encode("latin-1"), None) == "\ufffd" + "t" + "\ufffd"


def test_read_json_is_parse_json():
    assert read_json is parse_json
    assert read_json('{"a": NaN}')["a"] != read_json('{"a": NaN}')["a"]  # NaN parses; readers refuse it
    assert message_id_of(read_json('{"a": NaN}')["a"]) is None


def test_unusable_for_a_send_is_an_unknown_outcome_naming_the_connection():
    error = unusable("Primotexto", "send an SMS", "an HTML page", "pt", 200, send=True)
    assert isinstance(error, SmsOutcomeUnknownError)
    assert (error.conn_id, error.http_status) == ("pt", 200)
    assert str(error) == (
        "Primotexto could not send an SMS (connection 'pt'): HTTP 200, the reply was an HTML page; "
        "the gateway may have accepted it, so it is not retried automatically"
    )
