"""Hostile requests to the reply webhook, each answered without a crash (no 500), without an event
stored, and without a log line holding a number, a text or the secret: FastAPI's TestClient
against ``create_app()`` over the tests' real SQLite metadata DB."""

from __future__ import annotations

import json
import logging
import secrets

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from airflow_provider_sms.hooks.webhook_link import SECRET_HEADER
from airflow_provider_sms.plugins import webhook_store
from airflow_provider_sms.plugins.app import create_app

NUMBER = "+33639980099"
GOOD = {"type": "response", "phone_number": NUMBER, "text": "Oui merci", "message_id": 2270143}


@pytest.fixture
def client(airflow_db, caplog):
    # The test's own HTTP client (httpx, under some Starlette versions) logs each URL it requests,
    # secret included: that is the caller's log, not the server's, so it is kept out of the check.
    caplog.set_level(logging.WARNING, logger="httpx")
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def conn(emulator, webhook_secret, monkeypatch):
    conn_id = f"emu_hostile_{secrets.token_hex(4)}"
    extra = {"webhook_secret": webhook_secret, "public_base_url": "http://127.0.0.1:9"}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", emulator.connection_json("smspartner", **extra))
    return conn_id


def stored(conn_id):
    engine = webhook_store.metadata_engine()
    webhook_store.ensure_table(engine)
    with engine.connect() as connection:
        query = (
            select(func.count())
            .select_from(webhook_store.EVENTS)
            .where(webhook_store.EVENTS.c.conn_id == conn_id)
        )
        return connection.execute(query).scalar()


def _json(payload):
    return {"content": json.dumps(payload), "headers": {"Content-Type": "application/json"}}


#: name -> (path suffix given the secret, request keyword arguments, expected status)
HOSTILE = {
    "wrong secret": (lambda s: "x" * 43, _json(GOOD), 404),
    "secret of another length": (lambda s: s[:-1], _json(GOOD), 404),
    "secret in another case": (lambda s: s.swapcase(), _json(GOOD), 404),
    "no secret": (lambda s: "", _json(GOOD), 404),
    "1 MB body": (
        lambda s: s,
        {"content": b"{" + b" " * 1_000_000 + b"}", "headers": {"Content-Type": "application/json"}},
        413,
    ),
    "malformed JSON": (
        lambda s: s,
        {"content": '{"type": "response", ', "headers": {"Content-Type": "application/json"}},
        400,
    ),
    "deeply nested JSON": (
        lambda s: s,
        {"content": "[" * 5000 + "]" * 5000, "headers": {"Content-Type": "application/json"}},
        400,
    ),
    "JSON array": (lambda s: s, _json([GOOD]), 400),
    "not UTF-8": (
        lambda s: s,
        {"content": b'{"text": "\xff\xfe"}', "headers": {"Content-Type": "application/json"}},
        400,
    ),
    "wrong content type": (
        lambda s: s,
        {"content": json.dumps(GOOD), "headers": {"Content-Type": "text/plain"}},
        415,
    ),
    "no content type": (lambda s: s, {"content": json.dumps(GOOD)}, 415),
    "unknown type": (lambda s: s, _json({**GOOD, "type": "delivery"}), 400),
    "no type": (lambda s: s, _json({k: v for k, v in GOOD.items() if k != "type"}), 400),
    "number not E.164": (lambda s: s, _json({**GOOD, "phone_number": "06 39 98 00 99"}), 400),
    "number with letters": (lambda s: s, _json({**GOOD, "phone_number": "+3363998abcd"}), 400),
    "number as an object": (lambda s: s, _json({**GOOD, "phone_number": {"n": NUMBER}}), 400),
    "text with control characters": (lambda s: s, _json({**GOOD, "text": "Oui\x00\x1b[31m merci"}), 400),
    "text too long": (lambda s: s, _json({**GOOD, "text": "Oui " * 1000}), 400),
    "text as a list": (lambda s: s, _json({**GOOD, "text": ["Oui merci"]}), 400),
    "malformed form": (
        lambda s: s,
        {
            "content": "type=response&&=&phone_number",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
        400,
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_post(name, client, conn, webhook_secret, caplog):
    caplog.set_level(logging.DEBUG)
    suffix, kwargs, status = HOSTILE[name]
    answer = client.post(f"/webhook/{conn}/{suffix(webhook_secret)}", **kwargs)
    assert answer.status_code == status
    assert stored(conn) == 0
    assert_clean(caplog.text + answer.text, webhook_secret)


def assert_clean(text, secret):
    assert secret not in text
    assert NUMBER not in text
    assert NUMBER[4:] not in text
    assert "Oui merci" not in text


def test_wrong_secret_and_unknown_connection_look_like_an_unknown_path(client, conn, webhook_secret):
    unknown_path = client.post("/webhook/nothing-here", **_json(GOOD))
    wrong = client.post(f"/webhook/{conn}/{'y' * 43}", **_json(GOOD))
    unknown_conn = client.post(f"/webhook/no_such_conn/{webhook_secret}", **_json(GOOD))
    primotexto = client.post(f"/webhook/emu_primotexto/{webhook_secret}", **_json(GOOD))
    for answer in (wrong, unknown_conn, primotexto):
        assert (answer.status_code, answer.json()) == (unknown_path.status_code, unknown_path.json())


@pytest.mark.parametrize(
    "headers", [{}, {SECRET_HEADER: "z" * 43}, {SECRET_HEADER: ""}, {"Authorization": "Bearer x"}]
)
def test_events_read_needs_the_secret(client, conn, webhook_secret, headers, caplog):
    assert client.post(f"/webhook/{conn}/{webhook_secret}", **_json(GOOD)).status_code == 200
    answer = client.get(f"/webhook/{conn}/events", headers=headers)
    assert answer.status_code == 404
    assert_clean(answer.text + caplog.text, webhook_secret)


@pytest.mark.parametrize("query", ["after=-1", "after=x", "limit=1e9", "kind=delivery"])
def test_events_read_refuses_bad_queries(client, conn, webhook_secret, query):
    answer = client.get(f"/webhook/{conn}/events?{query}", headers={SECRET_HEADER: webhook_secret})
    assert answer.status_code == 400


def test_a_burst_of_1000_guesses_stores_nothing(client, conn, webhook_secret, caplog):
    caplog.set_level(logging.DEBUG)
    statuses = {
        client.post(f"/webhook/{conn}/{secrets.token_urlsafe(32)}", **_json(GOOD)).status_code
        for _ in range(1000)
    }
    assert statuses == {404}
    assert stored(conn) == 0
    assert_clean(caplog.text, webhook_secret)


def test_a_burst_of_1000_redeliveries_is_one_event(client, conn, webhook_secret, caplog):
    caplog.set_level(logging.DEBUG)
    answers = [client.post(f"/webhook/{conn}/{webhook_secret}", **_json(GOOD)).json() for _ in range(1000)]
    assert answers[0] == {"stored": True}
    assert answers[1:] == [{"stored": False}] * 999
    assert stored(conn) == 1
    assert_clean(caplog.text, webhook_secret)


def test_access_log_paths_hide_the_secret(webhook_secret):
    from airflow_provider_sms.plugins.webhook import HideWebhookSecret

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "POST", f"/sms/webhook/c1/{webhook_secret}", "1.1", 200),
        None,
    )
    HideWebhookSecret().filter(record)
    assert webhook_secret not in record.getMessage()
    assert "/sms/webhook/c1/***" in record.getMessage()
    events_like = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s", ("/sms/webhook/c1/events-" + webhook_secret,), None
    )
    HideWebhookSecret().filter(events_like)
    assert webhook_secret not in events_like.getMessage()
    read = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s", ("/sms/webhook/c1/events?after=3",), None
    )
    HideWebhookSecret().filter(read)
    assert read.getMessage() == "/sms/webhook/c1/events?after=3"


def test_the_path_an_outer_access_log_reads_holds_no_secret(airflow_db, conn, webhook_secret):
    """Airflow's access log middleware reads ``scope["path"]`` after the app answered."""
    from fastapi import FastAPI

    seen = []
    root = FastAPI()

    @root.middleware("http")
    async def access_log(request, call_next):
        response = await call_next(request)
        seen.append(request.scope["path"])
        return response

    root.mount("/sms", create_app())
    with TestClient(root) as outer:
        assert outer.post(f"/sms/webhook/{conn}/{webhook_secret}", **_json(GOOD)).status_code == 200
        assert outer.post(f"/sms/webhook/{conn}/{'w' * 43}", **_json(GOOD)).status_code == 404
        assert outer.get(f"/sms/webhook/{conn}/{webhook_secret}").status_code == 404  # a browser
        assert outer.get(f"/sms/webhook/{conn}/events").status_code == 404  # no secret header
    assert seen == [*[f"/sms/webhook/{conn}/***"] * 3, f"/sms/webhook/{conn}/events"]
