"""Error mapping, safe retries and secret hygiene, against the emulator."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY, SMSPARTNER_API_KEY
from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsConfigurationError,
    SmsGatewayError,
    SmsOutcomeUnknownError,
    SmsRateLimitError,
    SmsServerError,
)
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.hooks.primotexto import PRIMOTEXTO_ERROR_CODES, PrimotextoHook
from airflow_provider_sms.hooks.smspartner import SMSPARTNER_ERROR_CODES, SmsPartnerHook

NUMBER = "+33612345678"
KEYS = {"primotexto": PRIMOTEXTO_API_KEY, "smspartner": SMSPARTNER_API_KEY}
CODES = [("primotexto", code) for code in PRIMOTEXTO_ERROR_CODES] + [
    ("smspartner", code) for code in SMSPARTNER_ERROR_CODES
]
TABLES = {"primotexto": PRIMOTEXTO_ERROR_CODES, "smspartner": SMSPARTNER_ERROR_CODES}


def quick(conn_id, **kwargs):
    hook = get_sms_hook(conn_id, **kwargs)
    return hook


@pytest.mark.parametrize(("gateway", "code"), CODES, ids=[f"{v}-{c}" for v, c in CODES])
def test_every_vendor_error_code_lands_on_its_exception(gateway, code, emulator):
    emulator.add_fault("vendor_error", vendor=gateway, code=code)
    hook = get_sms_hook(f"emu_{gateway}", max_attempts=1)
    expected, meaning = TABLES[gateway][code]
    with pytest.raises(SmsGatewayError) as info:
        hook.get_account_stats()
    assert type(info.value) is expected
    assert info.value.code == code
    assert meaning in str(info.value)
    assert KEYS[gateway] not in str(info.value)


def test_smspartner_http_200_with_success_false_is_an_error(emulator):
    emulator.add_fault("vendor_error", vendor="smspartner", code=10, http_status=200)
    with pytest.raises(SmsAuthenticationError) as info:
        get_sms_hook("emu_smspartner").get_account_stats()
    assert info.value.http_status == 200


@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_wrong_key_is_an_authentication_error_without_the_key(vendor, emulator, monkeypatch):
    conn = json.loads(emulator.connection_json(vendor))
    conn["password"] = "not-the-right-key-123"
    monkeypatch.setenv("AIRFLOW_CONN_BAD_KEY", json.dumps(conn))
    with pytest.raises(SmsAuthenticationError) as info:
        get_sms_hook("bad_key").get_account_stats()
    assert "not-the-right-key-123" not in str(info.value)
    ok, text = get_sms_hook("bad_key").test_connection()
    assert not ok
    assert "not-the-right-key-123" not in text


def test_rate_limit_is_retried_after_retry_after(conn_id, emulator):
    emulator.add_fault("rate_limit", count=2, retry_after=0)
    stats = get_sms_hook(conn_id).get_account_stats()
    assert "credits" in stats
    statuses = [r["status"] for r in emulator.requests()]
    assert statuses == [429, 429, 200]


def test_rate_limit_on_a_send_is_retried_because_nothing_was_sent(conn_id, vendor, emulator):
    emulator.add_fault("rate_limit", path="send", count=1, retry_after=0)
    get_sms_hook(conn_id).send_sms(NUMBER, "hi")
    assert [r["status"] for r in emulator.requests()] == [429, 200]
    assert len(emulator.messages(vendor=vendor)) == 1


def test_rate_limit_gives_up_with_a_typed_error_carrying_retry_after(conn_id, emulator):
    emulator.add_fault("rate_limit", retry_after=0)
    with pytest.raises(SmsRateLimitError) as info:
        get_sms_hook(conn_id, max_attempts=2).get_account_stats()
    assert info.value.retry_after == 0
    assert info.value.transient
    assert len(emulator.requests()) == 2


def test_server_error_on_a_read_is_retried(conn_id, emulator):
    emulator.add_fault("server_error", http_status=503, count=1)
    get_sms_hook(conn_id).get_account_stats()
    assert [r["status"] for r in emulator.requests()] == [503, 200]


def test_server_error_on_a_send_is_never_retried(conn_id, vendor, emulator):
    emulator.add_fault("server_error", path="send", http_status=502, count=1)
    with pytest.raises(SmsOutcomeUnknownError, match="not retried automatically"):
        get_sms_hook(conn_id).send_sms(NUMBER, "hi")
    assert len(emulator.requests()) == 1


@pytest.mark.parametrize("kind", ["drop", "accept_then_drop"])
def test_dropped_connection_on_a_send_is_not_retried(kind, conn_id, vendor, emulator):
    emulator.add_fault(kind, path="send", count=1)
    with pytest.raises(SmsOutcomeUnknownError):
        get_sms_hook(conn_id).send_sms(NUMBER, "hi")
    assert len(emulator.requests(path="send")) == 1
    assert len(emulator.messages(vendor=vendor)) == (1 if kind == "accept_then_drop" else 0)


def test_dropped_connection_on_a_read_is_retried(conn_id, emulator):
    emulator.add_fault("drop", count=1)
    get_sms_hook(conn_id).get_account_stats()
    assert len(emulator.requests()) == 2


def test_read_timeout_on_a_send_is_not_retried(conn_id, emulator):
    emulator.add_fault("latency", path="send", latency_ms=1500, count=1)
    with pytest.raises(SmsOutcomeUnknownError, match="timed out"):
        get_sms_hook(conn_id, timeout=0.3).send_sms(NUMBER, "hi")
    assert len(emulator.requests(path="send")) == 1


def test_connection_refused_is_retried_then_reported(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_NOWHERE",
        json.dumps({"conn_type": "primotexto", "host": f"http://127.0.0.1:{port}", "password": "k"}),
    )
    hook = get_sms_hook("nowhere", max_attempts=2)
    with pytest.raises(SmsServerError, match="could not connect"):
        hook.send_sms(NUMBER, "hi")


@pytest.mark.parametrize(
    ("conn", "message"),
    [
        ({"conn_type": "primotexto", "host": "http://api.example.com", "password": "k"}, "plain http"),
        ({"conn_type": "primotexto", "host": "https://api.example.com"}, "no API key"),
        ({"conn_type": "smspartner", "password": "k", "extra": {"timeout": "soon"}}, "timeout"),
        ({"conn_type": "http", "password": "k"}, "need one of"),
    ],
)
def test_unusable_connections_are_refused_before_any_request(conn, message, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_BROKEN", json.dumps(conn))
    with pytest.raises(SmsConfigurationError, match=message):
        get_sms_hook("broken").get_account_stats()


def test_hook_of_the_wrong_type_is_refused(emulator):
    with pytest.raises(SmsConfigurationError, match="needs 'smspartner'"):
        SmsPartnerHook("emu_primotexto").get_account_stats()
    assert PrimotextoHook("emu_primotexto").settings.base_url == emulator.url


def test_default_host_and_version_prefix(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_REMOTE", json.dumps({"conn_type": "smspartner", "password": "k"}))
    assert SmsPartnerHook("remote").settings.base_url == "https://api.smspartner.fr"
    monkeypatch.setenv(
        "AIRFLOW_CONN_REMOTE",
        json.dumps({"conn_type": "smspartner", "password": "k", "host": "api.x.fr/v1/"}),
    )
    assert SmsPartnerHook("remote").settings.base_url == "https://api.x.fr"


def test_api_key_and_raw_numbers_never_reach_the_logs(conn_id, vendor, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    hook = get_sms_hook(conn_id)
    result = hook.send_sms(NUMBER, "Secret code 123456")
    hook.get_delivery_status(result.message_id, NUMBER)
    hook.get_blacklist()
    hook.list_subaccounts() if vendor == "smspartner" else hook.get_account_stats()
    emulator.add_fault("server_error", count=1)
    emulator.add_fault("vendor_error", code=10 if vendor == "smspartner" else 72)
    with pytest.raises(SmsGatewayError) as info:
        hook.get_account_stats()
    text = caplog.text + str(info.value) + repr(info.value)
    assert caplog.records, "expected some log lines to inspect"
    assert KEYS[vendor] not in text
    assert "Secret code 123456" not in text
    assert NUMBER not in text
    assert NUMBER[4:] not in text  # not in URL-encoded query strings either


@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_test_connection_text_is_plain_said_once_and_masks_only_secrets(vendor, emulator, monkeypatch):
    """Airflow's Test button runs on a temporary connection with a random id: never quote it."""
    conn = json.loads(emulator.connection_json(vendor))
    conn["password"] = "wrong-key-4242"
    monkeypatch.setenv("AIRFLOW_CONN_TMP_8F3KQ2", json.dumps(conn))
    ok, text = get_sms_hook("tmp_8f3kq2").test_connection()
    assert not ok
    assert "tmp_8f3kq2" not in text
    assert "wrong-key-4242" not in text
    lowered = text.lower()
    assert lowered.count("authentication failed") <= 1
    assert lowered.count("invalid api key") <= 1


def test_test_connection_on_a_closed_port_names_the_address_unmasked(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_TMP_CLOSED",
        json.dumps({"conn_type": "smspartner", "host": f"http://127.0.0.1:{port}", "password": "k"}),
    )
    ok, text = get_sms_hook("tmp_closed", max_attempts=1).test_connection()
    assert not ok
    assert "could not connect" in text
    assert "tmp_closed" not in text
    assert "****" not in text  # nothing looked like a phone number


def test_scrub_masks_phone_numbers_but_not_addresses_or_figures():
    from airflow_provider_sms.hooks.transport import scrub

    text = scrub("to +33 6 12 34 56 78 via 127.0.0.1:8025, 10.0.0.12 and 2,000,000 credits; key abc", "abc")
    assert "+33 6****78" in text
    assert "127.0.0.1:8025" in text
    assert "10.0.0.12" in text
    assert "abc" not in text
