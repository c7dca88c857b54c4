"""The provider's app served for real (uvicorn on 127.0.0.1) over the tests' SQLite metadata DB,
SMS Partner connections whose replies come back through its webhook, and Airflow's own api app
(simple auth manager) for the SMS views."""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time

import pytest

from airflow_provider_sms.plugins.app import create_app

#: The connection whose webhook the tests use.
WEBHOOK_CONN = "emu_smsp_webhook"


@pytest.fixture(scope="session")
def api_server(airflow_db):
    """``create_app()`` on a free loopback port; yields its base URL (the api-server's, without
    the ``/sms`` prefix the api-server mounts the app under: the app is mounted at ``/sms`` here too)."""
    import uvicorn
    from fastapi import FastAPI

    root = FastAPI()
    root.mount("/sms", create_app())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(root, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def webhook_secret():
    return secrets.token_urlsafe(32)


@pytest.fixture
def webhook_conn(emulator, api_server, webhook_secret, monkeypatch):
    """An SMS Partner connection to the emulator naming the webhook (fresh secret, fresh events)."""
    conn_id = f"{WEBHOOK_CONN}_{secrets.token_hex(4)}"
    conn_json = emulator.connection_json(
        "smspartner", timeout=5, webhook_secret=webhook_secret, public_base_url=api_server
    )
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", conn_json)
    return conn_id


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """Airflow's api app with the simple auth manager asking for a password (user ``viewer``)."""
    from airflow.api_fastapi.app import create_app, purge_cached_app
    from fastapi.testclient import TestClient

    passwords = tmp_path_factory.mktemp("auth") / "passwords.json"
    passwords.write_text(json.dumps({"viewer": "viewer-password"}))
    mp = pytest.MonkeyPatch()
    mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
    mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "viewer:viewer")
    mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(passwords))
    mp.setenv("AIRFLOW__API_AUTH__JWT_ISSUER", "airflow")  # Airflow 3.0 signs no token without one
    try:
        yield TestClient(create_app("core"))
    finally:
        mp.undo()
        purge_cached_app()


@pytest.fixture(scope="module")
def token(api) -> str:
    reply = api.post("/auth/token", json={"username": "viewer", "password": "viewer-password"})
    assert reply.status_code == 201, reply.text
    api.cookies.clear()
    return reply.json()["access_token"]
