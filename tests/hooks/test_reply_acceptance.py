"""What a send reply must look like to count as accepted, over real HTTP against the emulator.

The emulator's ``raw_reply`` fault answers the send in the gateway's place (nothing is sent): an HTML
page with HTTP 200, an empty or cut-off body, JSON of the wrong shape, ``success`` false in every
spelling, ids written as floats, amounts with a decimal comma. Each must end as an accepted send
with the gateway's integer id, a refusal (the vendor's code, mapped), or an unknown outcome, and
never as a "sent" with a made-up id. Then every public read method meets odd bodies and may only
raise the project's own errors.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsError,
    SmsGatewayError,
    SmsInsufficientCreditError,
    SmsInvalidRequestError,
    SmsOutcomeUnknownError,
    SmsServerError,
)
from airflow_provider_sms.hooks import get_sms_hook

NUMBER = "+33612345678"
OTHER = "+33612345679"
SEND_PATH = {"primotexto": "/messages/send", "smspartner": "/v1/send"}
JSON = "application/json"
HTML = "<!DOCTYPE html><html><head><title>503 Maintenance</title></head><body>Back soon</body></html>"

# --------------------------------------------------------------------------- bodies on both gateways
#: (case id, body, content type) -> the send's outcome is unknown, whichever the gateway.
UNKNOWN_ON_BOTH = [
    ("html-200", HTML, "text/html"),
    ("empty-200", "", "text/html"),
    ("blank-200", "  \n", JSON),
    ("truncated-json", '{"success": true, "code": 200, "message_id": 22', JSON),
    ("truncated-json-primotexto", '{"creditsUsed": 1.0, "snapshotId": "3864', JSON),
    ("list", "[1]", JSON),
    ("empty-list", "[]", JSON),
    ("json-string", '"ok"', JSON),
    ("json-number", "2264102", JSON),
    ("json-null", "null", JSON),
    ("empty-object", "{}", JSON),
    ("success-false-text", '{"success": "false", "message": "KO"}', JSON),
    ("success-false-zero-text", '{"success": "0"}', JSON),
    ("success-false-zero", '{"success": 0}', JSON),
    ("success-false-bool", '{"success": false}', JSON),
    ("success-False", '{"Success": "False"}', JSON),
    ("success-false-unknown-code", '{"success": false, "code": 777}', JSON),
    ("success-false-code-200", '{"success": "false", "code": 200}', JSON),
]


def add_raw(
    emulator, vendor: str, body: str, content_type: str = JSON, http_status: int | None = None
) -> None:
    emulator.add_fault(
        "raw_reply",
        vendor=vendor,
        path=SEND_PATH[vendor],
        body=body,
        content_type=content_type,
        http_status=http_status,
    )


def sends(emulator, vendor: str) -> list[dict]:
    return emulator.requests(vendor=vendor, path=SEND_PATH[vendor])


@pytest.mark.parametrize(
    ("body", "content_type"), [c[1:] for c in UNKNOWN_ON_BOTH], ids=[c[0] for c in UNKNOWN_ON_BOTH]
)
def test_a_reply_that_is_not_an_acceptance_leaves_the_outcome_unknown(
    body, content_type, vendor, conn_id, emulator, caplog
):
    add_raw(emulator, vendor, body, content_type)
    hook = get_sms_hook(conn_id)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(SmsOutcomeUnknownError) as info:
        hook.send_sms(NUMBER, "Votre code: 1234")

    assert type(info.value) is SmsOutcomeUnknownError
    assert info.value.conn_id == conn_id
    text = str(info.value)
    assert "may have accepted it" in text
    assert "None" not in text
    assert NUMBER not in text  # no number in clear...
    assert "Back soon" not in text  # ...and nothing of the body
    assert "Back soon" not in caplog.text
    assert "Votre code" not in caplog.text
    assert len(sends(emulator, vendor)) == 1  # never retried: the gateway may have acted
    assert emulator.messages() == []


@pytest.mark.parametrize(
    ("body", "content_type"), [c[1:] for c in UNKNOWN_ON_BOTH[:6]], ids=[c[0] for c in UNKNOWN_ON_BOTH[:6]]
)
def test_batch_send_and_the_async_path_agree(body, content_type, vendor, conn_id, emulator):
    add_raw(emulator, vendor, body, content_type)
    hook = get_sms_hook(conn_id)
    numbers = [NUMBER] if vendor == "primotexto" else [NUMBER, OTHER]

    with pytest.raises(SmsOutcomeUnknownError):
        hook.send_sms_batch(numbers, "hi")
    request = hook.validate_send(numbers, "hi").request
    with pytest.raises(SmsOutcomeUnknownError):
        asyncio.run(hook.asend_request(request))
    assert emulator.messages() == []


@pytest.mark.parametrize("spelling", ['"false"', '"0"', "0", "false", '"False"', '"FALSE"'])
def test_success_false_with_a_vendor_code_is_the_mapped_refusal(spelling, vendor, conn_id, emulator):
    code = 71 if vendor == "primotexto" else 11  # insufficient credit on each gateway
    add_raw(emulator, vendor, f'{{"success": {spelling}, "code": {code}, "message": "Crédit insuffisant"}}')

    with pytest.raises(SmsInsufficientCreditError) as info:
        get_sms_hook(conn_id).send_sms(NUMBER, "hi")

    assert (info.value.code, info.value.http_status) == (code, 200)


def test_an_error_code_without_success_is_the_mapped_refusal(vendor, conn_id, emulator):
    code = 72 if vendor == "primotexto" else 10  # bad key
    add_raw(emulator, vendor, f'{{"code": "{code}", "message": "Clé API incorrecte"}}')
    with pytest.raises(SmsAuthenticationError) as info:
        get_sms_hook(conn_id).send_sms(NUMBER, "hi")
    assert info.value.code == code


def test_a_refusal_code_written_as_a_float_is_read(vendor, conn_id, emulator):
    code = 31 if vendor == "primotexto" else 9
    add_raw(emulator, vendor, f'{{"success": false, "code": {code}.0}}')
    with pytest.raises(SmsInvalidRequestError) as info:
        get_sms_hook(conn_id).send_sms(NUMBER, "hi")
    assert info.value.code == code


# --------------------------------------------------------------------------- Primotexto
PRIMOTEXTO_UNKNOWN = [
    ("no-snapshot-id", '{"creditsUsed": 1.0}'),
    ("snapshot-id-null", '{"creditsUsed": 1.0, "snapshotId": null}'),
    ("snapshot-id-empty", '{"creditsUsed": 1.0, "snapshotId": ""}'),
    ("snapshot-id-text", '{"creditsUsed": 1.0, "snapshotId": "abc"}'),
    ("snapshot-id-none-text", '{"creditsUsed": 1.0, "snapshotId": "None"}'),
    ("snapshot-id-fraction", '{"creditsUsed": 1.0, "snapshotId": 2264102.5}'),
    ("snapshot-id-zero", '{"creditsUsed": 1.0, "snapshotId": 0}'),
    ("snapshot-id-negative", '{"creditsUsed": 1.0, "snapshotId": -5}'),
    ("snapshot-id-bool", '{"creditsUsed": 1.0, "snapshotId": true}'),
    ("snapshot-id-list", '{"creditsUsed": 1.0, "snapshotId": [386479]}'),
    ("snapshot-id-nan", '{"creditsUsed": 1.0, "snapshotId": NaN}'),
    ("snapshot-but-success-false", '{"success": "false", "snapshotId": "386479"}'),
]


@pytest.mark.parametrize("body", [c[1] for c in PRIMOTEXTO_UNKNOWN], ids=[c[0] for c in PRIMOTEXTO_UNKNOWN])
def test_primotexto_without_a_usable_snapshot_id_the_outcome_is_unknown(body, emulator):
    add_raw(emulator, "primotexto", body)
    with pytest.raises(SmsOutcomeUnknownError):
        get_sms_hook("emu_primotexto").send_sms(NUMBER, "hi")


PRIMOTEXTO_ACCEPTED = [
    ("documented", '{"creditsUsed": 1.0, "snapshotId": "386479"}', "386479", 1.0),
    ("int-id", '{"creditsUsed": 1, "snapshotId": 386479}', "386479", 1.0),
    ("float-id", '{"creditsUsed": 1.0, "snapshotId": 2.264102e+06}', "2264102", 1.0),
    ("float-text-id", '{"creditsUsed": 1.0, "snapshotId": "2.264102e+06"}', "2264102", 1.0),
    ("point-zero-id", '{"creditsUsed": 1.0, "snapshotId": "2264102.0"}', "2264102", 1.0),
    ("decimal-comma-credits", '{"creditsUsed": "1,0", "snapshotId": "386479"}', "386479", 1.0),
    ("text-credits", '{"creditsUsed": "0.75", "snapshotId": "386479"}', "386479", 0.75),
    ("no-credits", '{"snapshotId": "386479"}', "386479", None),
    ("unreadable-credits", '{"creditsUsed": "n/a", "snapshotId": "386479"}', "386479", None),
    ("key-case", '{"CreditsUsed": 2, "SnapshotID": "386479"}', "386479", 2.0),
    ("success-true", '{"success": "true", "creditsUsed": 1.0, "snapshotId": "386479"}', "386479", 1.0),
]


@pytest.mark.parametrize(
    ("body", "message_id", "credits"),
    [c[1:] for c in PRIMOTEXTO_ACCEPTED],
    ids=[c[0] for c in PRIMOTEXTO_ACCEPTED],
)
def test_primotexto_acceptance_reads_the_integer_id(body, message_id, credits, emulator):
    add_raw(emulator, "primotexto", body)
    hook = get_sms_hook("emu_primotexto")

    result = hook.send_sms(NUMBER, "hi")
    assert (result.message_id, result.recipient, result.credits_used) == (message_id, NUMBER, credits)
    outcome = hook.send_sms_batch([NUMBER], "hi")
    assert [r.message_id for r in outcome.sent] == [message_id]


def test_primotexto_blacklist_code_on_http_200_skips_the_recipient(emulator):
    add_raw(emulator, "primotexto", '{"success": "0", "code": "12", "message": "STOP"}')
    outcome = get_sms_hook("emu_primotexto").send_sms_batch([NUMBER], "hi")
    assert (outcome.sent, outcome.blacklisted) == ([], [NUMBER])


# --------------------------------------------------------------------------- SMS Partner
SMSPARTNER_UNKNOWN = [
    ("no-success", '{"code": 200, "message_id": 2270142, "nb_sms": 1, "cost": 0.045}'),
    ("success-null", '{"success": null, "code": 200, "message_id": 2270142}'),
    ("success-other-text", '{"success": "maybe", "code": 200, "message_id": 2270142}'),
    ("no-id", '{"success": true, "code": 200, "nb_sms": 1, "cost": 0.045}'),
    ("id-null", '{"success": true, "code": 200, "message_id": null}'),
    ("id-text", '{"success": true, "code": 200, "message_id": "abc"}'),
    ("id-None-text", '{"success": true, "code": 200, "message_id": "None"}'),
    ("id-fraction", '{"success": true, "code": 200, "message_id": 2264102.5}'),
    ("id-zero", '{"success": true, "code": 200, "message_id": 0}'),
    ("id-bool", '{"success": true, "code": 200, "message_id": true}'),
    ("id-object", '{"success": true, "code": 200, "message_id": {"id": 1}}'),
    ("id-huge-exponent", '{"success": true, "code": 200, "message_id": "1e999999999"}'),
    ("id-infinity", '{"success": true, "code": 200, "message_id": Infinity}'),
]


@pytest.mark.parametrize("body", [c[1] for c in SMSPARTNER_UNKNOWN], ids=[c[0] for c in SMSPARTNER_UNKNOWN])
def test_smspartner_without_success_and_a_usable_id_the_outcome_is_unknown(body, emulator):
    add_raw(emulator, "smspartner", body)
    hook = get_sms_hook("emu_smspartner")
    with pytest.raises(SmsOutcomeUnknownError):
        hook.send_sms(NUMBER, "hi")
    with pytest.raises(SmsOutcomeUnknownError):
        hook.send_sms_batch([NUMBER, OTHER], "hi")


SMSPARTNER_ACCEPTED = [
    (
        "documented",
        '{"success": true, "code": 200, "message_id": 2270142, "nb_sms": 1, "cost": 0.04}',
        "2270142",
        1,
        0.04,
    ),
    (
        "float-id-go-sdk",
        '{"success": true, "code": 200, "message_id": 2.264102e+06, "nb_sms": 1, "cost": 0.04}',
        "2264102",
        1,
        0.04,
    ),
    ("float-text-id", '{"success": true, "code": 200, "message_id": "2.264102e+06"}', "2264102", None, None),
    ("point-zero-id", '{"success": true, "code": 200, "message_id": "2264102.0"}', "2264102", None, None),
    ("text-id", '{"success": true, "code": 200, "message_id": "2270142"}', "2270142", None, None),
    (
        "cost-decimal-comma",
        '{"success": true, "code": 200, "message_id": 2270142, "nb_sms": 1, "cost": "1,0"}',
        "2270142",
        1,
        1.0,
    ),
    (
        "nb-sms-text-float",
        '{"success": true, "code": 200, "message_id": 2270142, "nb_sms": "1.0", "cost": 0.04}',
        "2270142",
        1,
        0.04,
    ),
    (
        "nb-sms-unreadable",
        '{"success": true, "code": 200, "message_id": 2270142, "nb_sms": "one", "cost": "?"}',
        "2270142",
        None,
        None,
    ),
    ("success-text", '{"success": "true", "code": "200", "message_id": 2270142}', "2270142", None, None),
    ("success-one", '{"success": 1, "code": 200, "message_id": 2270142}', "2270142", None, None),
    ("success-one-text", '{"success": "1", "message_id": 2270142}', "2270142", None, None),
    (
        "key-case",
        '{"Success": "True", "Code": 200, "Message_Id": 2270142, "NB_SMS": 2, "Cost": 0.09}',
        "2270142",
        2,
        0.09,
    ),
    ("key-camel", '{"success": true, "code": 200, "messageId": 2270142, "nbSMS": 1}', "2270142", 1, None),
]


@pytest.mark.parametrize(
    ("body", "message_id", "segments", "cost"),
    [c[1:] for c in SMSPARTNER_ACCEPTED],
    ids=[c[0] for c in SMSPARTNER_ACCEPTED],
)
def test_smspartner_acceptance_reads_the_integer_id(body, message_id, segments, cost, emulator):
    add_raw(emulator, "smspartner", body)
    hook = get_sms_hook("emu_smspartner")

    result = hook.send_sms(NUMBER, "hi")
    assert (result.message_id, result.segments, result.credits_used) == (message_id, segments, cost)
    outcome = hook.send_sms_batch([NUMBER, OTHER], "hi")
    assert [(r.recipient, r.message_id) for r in outcome.sent] == [(NUMBER, message_id), (OTHER, message_id)]
    if cost is not None:
        assert [r.credits_used for r in outcome.sent] == [cost / 2] * 2


def test_smspartner_http_400_without_a_body_is_refused_not_unknown(emulator):
    add_raw(emulator, "smspartner", HTML, "text/html", http_status=400)
    with pytest.raises(SmsInvalidRequestError) as info:
        get_sms_hook("emu_smspartner").send_sms(NUMBER, "hi")
    assert info.value.http_status == 400


def test_a_real_send_still_reads_the_emulators_id(vendor, conn_id, emulator):
    result = get_sms_hook(conn_id).send_sms(NUMBER, "hi")
    (message,) = emulator.messages(vendor=vendor)
    assert result.message_id == str(message["message_id"])
    assert result.message_id.isdigit()


# --------------------------------------------------------------------------- reads: only our errors
ODD_BODIES = [
    ("html", HTML, "text/html"),
    ("empty", "", "text/html"),
    ("truncated", '{"StatutResponse_List": [{"phoneNumber"', JSON),
    ("deep-nesting", "[" * 100_000 + "]" * 100_000, JSON),
    ("list", "[1]", JSON),
    ("list-of-junk", '[1, "x", null, [], {"id": {}}]', JSON),
    ("string", '"x"', JSON),
    ("number", "1", JSON),
    ("null", "null", JSON),
    ("empty-object", "{}", JSON),
    ("success-false-text", '{"success": "false"}', JSON),
    (
        "wrong-types",
        '{"success": "1", "state": [], "statut": {}, "credits": "abc", "data": 5, "total": "x"}',
        JSON,
    ),
    (
        "junk-entries",
        '{"success": true, "StatutResponse_List": [1, null, {"messageId": {}, "phoneNumber": []}],'
        ' "data": [1, {"id": null}], "credits": {"balance": "1,5"}}',
        JSON,
    ),
    ("unknown-charset", "\u00ff\u00fe", "text/html; charset=x-unknown"),
]

READS = {
    "get_delivery_status": lambda hook: hook.get_delivery_status("2270142", NUMBER),
    "get_delivery_statuses": lambda hook: hook.get_delivery_statuses(
        [{"message_id": "2270142", "recipient": NUMBER}, {"message_id": "tag:abc", "recipient": OTHER}]
    ),
    "aget_delivery_statuses": lambda hook: asyncio.run(
        hook.aget_delivery_statuses([{"message_id": "2270142", "recipient": NUMBER}])
    ),
    "statuses_by_tag": lambda hook: hook.statuses_by_tag("abc"),
    "get_status_summary": lambda hook: hook.get_status_summary("abc"),
    "get_blacklist": lambda hook: hook.get_blacklist(),
    "add_to_blacklist": lambda hook: hook.add_to_blacklist(NUMBER),
    "remove_from_blacklist": lambda hook: hook.remove_from_blacklist(NUMBER),
    "get_replies": lambda hook: hook.get_replies(),
    "get_stops": lambda hook: hook.get_stops(),
    "get_account_stats": lambda hook: hook.get_account_stats(),
    "list_subaccounts": lambda hook: hook.list_subaccounts(max_pages=2),
}


#: Methods only one gateway has.
ONLY_ON = {"get_status_summary": "primotexto"}


def outcome(read):
    """``(value, None)`` or ``(None, error)`` for one of the project's errors; any other escapes."""
    try:
        return read(), None
    except SmsError as exc:
        return None, exc


@pytest.mark.parametrize("method", list(READS))
@pytest.mark.parametrize(
    ("body", "content_type"), [c[1:] for c in ODD_BODIES], ids=[c[0] for c in ODD_BODIES]
)
def test_every_public_read_raises_only_project_errors(method, body, content_type, vendor, conn_id, emulator):
    if ONLY_ON.get(method, vendor) != vendor:
        pytest.skip(f"{vendor} has no {method}")
    emulator.add_fault("raw_reply", vendor=vendor, body=body, content_type=content_type)
    hook = get_sms_hook(conn_id, max_attempts=1)

    value, error = outcome(lambda: READS[method](hook))

    if error is not None:
        assert getattr(error, "conn_id", None) in (None, conn_id)
    else:
        json.dumps(value, default=lambda o: o.to_dict())  # whatever came back is plain data
    ok, text = hook.test_connection()  # never raises: (False, the error's text) at worst
    assert isinstance(ok, bool)
    assert isinstance(text, str)


UNREADABLE = [
    ("html", HTML, "text/html", True),
    ("truncated", '{"credits": 27', JSON, True),
    ("deep-nesting", "[" * 100_000 + "]" * 100_000, JSON, True),
    ("empty", "", "text/html", True),
    ("list", "[1]", JSON, False),
    ("string", '"x"', JSON, False),
]


@pytest.mark.parametrize(
    ("body", "content_type", "retried"), [c[1:] for c in UNREADABLE], ids=[c[0] for c in UNREADABLE]
)
def test_an_unreadable_read_is_a_server_error(body, content_type, retried, vendor, conn_id, emulator):
    """A body that is not JSON, or none where one is due, is refused by the transport, inside the
    retry loop (a read is safe to repeat); JSON of the wrong shape is refused by the reader, after
    it."""
    path = "/account/stats" if vendor == "primotexto" else "/me"
    emulator.add_fault("raw_reply", vendor=vendor, path=path, count=1, body=body, content_type=content_type)
    hook = get_sms_hook(conn_id, max_attempts=2)
    if retried:
        assert "credits" in hook.get_account_stats()
        return
    with pytest.raises(SmsServerError) as info:
        hook.get_account_stats()
    assert info.value.http_status in (None, 200)


def test_account_credits_read_loosely(vendor, conn_id, emulator):
    body = (
        '{"credits": "279,5", "sent": 3}'
        if vendor == "primotexto"
        else '{"success": "1", "code": 200, "credits": {"Balance": "10225,119", "creditSms": 1}}'
    )
    emulator.add_fault(
        "raw_reply",
        vendor=vendor,
        path="/stats" if vendor == "primotexto" else "/me",
        body=body,
        content_type=JSON,
    )
    stats = get_sms_hook(conn_id).get_account_stats()
    assert stats["credits"] == (279.5 if vendor == "primotexto" else 10225.119)


def test_primotexto_status_reads_loose_types(emulator):
    emulator.add_fault(
        "raw_reply",
        vendor="primotexto",
        path="/messages/status",
        body='{"ID": 2.264102e+06, "State": "Delivered", "stateDate": "1387808142057"}',
        content_type=JSON,
    )
    status = get_sms_hook("emu_primotexto").get_delivery_status(recipient=NUMBER)
    assert (status.message_id, status.state, status.vendor_state) == ("2264102", "delivered", "Delivered")
    assert status.updated_at == "2013-12-23T14:15:42.057000+00:00"


def test_primotexto_status_without_a_state_is_not_a_status(emulator):
    emulator.add_fault(
        "raw_reply", vendor="primotexto", path="/messages/status", body='{"id": 362891}', content_type=JSON
    )
    with pytest.raises(SmsServerError):
        get_sms_hook("emu_primotexto", max_attempts=1).get_delivery_status(recipient=NUMBER)


def test_smspartner_multi_status_matches_ids_of_any_type(emulator):
    body = {
        "success": "true",
        "code": 200,
        "StatutResponse_List": [
            {
                "success": "1",
                "phoneNumber": NUMBER,
                "messageId": 2.264102e06,
                "status": "Delivered",
                "date": "1517934416",
            },
            {
                "Success": "true",
                "PhoneNumber": OTHER,
                "MessageId": "2264102",
                "Status": "Not delivered",
                "stopSMS": "1",
            },
        ],
    }
    emulator.add_fault(
        "raw_reply", vendor="smspartner", path="/multi-status", body=json.dumps(body), content_type=JSON
    )
    statuses = get_sms_hook("emu_smspartner").get_delivery_statuses(
        [{"message_id": "2264102", "recipient": NUMBER}, {"message_id": "2264102", "recipient": OTHER}]
    )
    assert [(s.message_id, s.state) for s in statuses] == [
        ("2264102", "delivered"),
        ("2264102", "unsubscribed"),
    ]
    assert statuses[0].updated_at == "2018-02-06T16:26:56+00:00"


def test_smspartner_tag_reply_without_its_list_is_not_read_as_nothing_sent(emulator):
    """Reconciliation reads "no entry under the tag" as "never sent" and sends again: a reply
    without the list must not be taken for that."""
    emulator.add_fault(
        "raw_reply",
        vendor="smspartner",
        path="/bulk-status-by-tag",
        body='{"success": true, "code": 200}',
        content_type=JSON,
    )
    with pytest.raises(SmsServerError):
        get_sms_hook("emu_smspartner", max_attempts=1).statuses_by_tag("abc")


@pytest.mark.parametrize("body", ["", "[1]", '"x"'])
def test_smspartner_tag_reply_empty_or_odd_is_an_error_too(body, emulator):
    emulator.add_fault(
        "raw_reply", vendor="smspartner", path="/bulk-status-by-tag", body=body, content_type=JSON
    )
    with pytest.raises(SmsGatewayError):
        get_sms_hook("emu_smspartner", max_attempts=1).statuses_by_tag("abc")


def test_smspartner_credits_reply_without_credits_is_not_read_as_none(emulator):
    emulator.add_fault(
        "raw_reply", vendor="smspartner", path="/me", body='{"success": true, "code": 200}', content_type=JSON
    )
    hook = get_sms_hook("emu_smspartner", max_attempts=1)
    with pytest.raises(SmsServerError, match="without credits"):
        hook.get_account_stats()
    ok, text = hook.test_connection()
    assert not ok
    assert "without credits" in text
