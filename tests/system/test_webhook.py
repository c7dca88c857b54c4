"""System test of SMS Partner's replies through the provider's webhook, on the real stack
(PostgreSQL, api-server serving the plugin, scheduler, dag-processor, triggerer, LocalExecutor):
the emulator posts the customer's OUI to the api-server, ``example_sms_appointment_confirmation``
takes the confirmed branch; a redelivered reply is one event; a STOP posted to the webhook starts
the opt-out DAG exactly once."""

from __future__ import annotations

import csv
import secrets
import time

import pytest
import requests

from airflow_provider_sms.hooks.webhook_link import connection_path
from tests.system.api import AirflowApi
from tests.system.conftest import connection_env
from tests.system.stack import INBOUND_POLL_SECONDS, ROOT, AirflowStack, Postgres, Processes

WEBHOOK_CONN = "emu_smsp_webhook"
CUSTOMER = "+33639980230"
STOP_NUMBER = "+33639980277"
SECRET = secrets.token_urlsafe(32)
DAGS = [
    ROOT / "example_dags" / f"example_sms_{name}.py" for name in ("appointment_confirmation", "stop_to_crm")
]


@pytest.fixture(scope="module")
def stack(workdir, gateway, record_time):
    base = workdir / "webhook"
    processes = Processes(logs=base / "logs")
    processes.logs.mkdir(parents=True)
    started = time.monotonic()
    try:
        postgres = Postgres(base / "pg", processes).start()
        crm_file = base / "crm_opt_outs.csv"
        stack = AirflowStack(
            base / "airflow", processes, postgres.url, DAGS, connection_env(gateway, crm_file)
        )
        stack.env[f"AIRFLOW_CONN_{WEBHOOK_CONN.upper()}"] = gateway.connection_json(
            "smspartner", webhook_secret=SECRET, public_base_url=stack.api_url
        )
        stack.env["SMS_INBOUND_CONN_ID"] = WEBHOOK_CONN
        stack.env["SMS_REPLY_POKE_INTERVAL"] = str(INBOUND_POLL_SECONDS)
        stack.start()
    except BaseException:
        for name, _ in processes.started:
            print(f"---- {name} log (tail)\n{processes.log(name)[-3000:]}")
        processes.stop()
        raise
    stack.postgres, stack.crm_file = postgres, crm_file  # type: ignore[attr-defined]
    record_time("start: PostgreSQL + LocalExecutor + the 4 components (webhook)", time.monotonic() - started)
    yield stack
    processes.stop()


@pytest.fixture(scope="module")
def api(stack):
    return AirflowApi(stack.api_url)


def stored_events(stack, kind: str) -> int:
    rows = stack.postgres.query(
        "SELECT count(*) FROM sms_provider_webhook_events "
        f"WHERE conn_id = '{WEBHOOK_CONN}' AND kind = '{kind}'"
    )
    return int(rows[0][0])


def test_oui_posted_to_the_webhook_confirms_the_appointment(stack, api, gateway, record_time):
    dag_id = "example_sms_appointment_confirmation"
    started = time.monotonic()
    run_id = api.trigger(dag_id, {"sms_conn_id": WEBHOOK_CONN, "customer": CUSTOMER})
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not [
        m for m in gateway.messages("smspartner") if m["recipient"] == CUSTOMER
    ]:
        time.sleep(0.3)
    time.sleep(1)
    posted = gateway.inject_reply("smspartner", CUSTOMER, "Oui, merci", posts=2)  # redelivered once
    assert posted["webhook"] == [200, 200], posted
    state, seen = api.wait_for_run(dag_id, run_id, timeout=240)
    record_time("SMS Partner reminder -> OUI posted to the webhook -> confirmed", time.monotonic() - started)
    assert state == "success", seen
    tis = {ti["task_id"]: ti["state"] for ti in api.task_instances(dag_id, run_id)}
    assert tis["confirmed"] == "success", tis
    assert tis["no_answer"] == "skipped", tis
    assert stored_events(stack, "reply") == 1
    sent = [r for r in gateway.requests("smspartner", "/v1/send") if CUSTOMER in str(r)]
    assert sent
    assert f"/sms/webhook/{WEBHOOK_CONN}/" in str(sent[-1])


def test_a_stop_posted_to_the_webhook_starts_the_opt_out_dag_once(stack, api, gateway, record_time):
    dag_id = "example_sms_stop_to_crm"
    api.wait_for_dag(dag_id)
    started = time.monotonic()
    url = f"{stack.api_url}{connection_path(WEBHOOK_CONN)}/{SECRET}"
    payload = {"type": "stop", "phone_number": STOP_NUMBER, "text": "Stop", "message_id": 2270143}
    assert [requests.post(url, json=payload, timeout=10).status_code for _ in range(3)] == [200, 200, 200]
    crm_file = stack.crm_file
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not (crm_file.exists() and STOP_NUMBER in crm_file.read_text()):
        time.sleep(0.5)
    record_time("STOP posted to the webhook -> opt-out row in the CRM file", time.monotonic() - started)
    assert crm_file.exists(), stack.processes.log("triggerer")[-3000:]
    time.sleep(4 * INBOUND_POLL_SECONDS)
    rows = [row for row in csv.reader(crm_file.open()) if row and row[0] == STOP_NUMBER]
    assert len(rows) == 1, rows
    assert stored_events(stack, "stop") == 1
    assert [run for run in api.dag_runs(dag_id) if run["state"] == "failed"] == []


def test_no_number_text_nor_secret_in_any_log(stack):
    texts = [p.read_text(errors="replace") for p in (stack.home / "logs").rglob("*") if p.is_file()]
    texts += [p.read_text(errors="replace") for p in stack.processes.logs.glob("*.log")]
    assert texts
    for text in texts:
        for secret in (SECRET, CUSTOMER, STOP_NUMBER, "Oui, merci"):
            assert secret not in text
