"""SmsSendOperator when the gateway's place is taken by an HTML page with HTTP 200 (``dag.test()``).

A proxy's or maintenance page in front of the gateway answers every send with 200: before strict
acceptance, each recipient was reported sent with message id ``"None"`` and the run was green while
nothing went out. Now each one is an unknown outcome: the task fails, the next try asks the gateway
(which knows nothing of them) and sends again, and no result ever carries an id the gateway did not
give.
"""

from __future__ import annotations

import importlib
import json

from tests.helpers.gateways import CONN_IDS
from tests.helpers.task_fakes import tries, xcom_value

SEND_PATH = {"primotexto": "/v2/notification/messages/send", "smspartner": "/v1/send"}
HTML = "<html><head><title>Maintenance</title></head><body>We will be back soon.</body></html>"
COUNT = 3


def numbers() -> list[str]:
    return [f"+336{20_000_000 + i:08d}" for i in range(COUNT)]  # the recipients of dags/send_retry.py


def run(vendor: str):
    module = importlib.import_module("tests.dags.send_retry")
    dag = next(v for v in vars(module).values() if getattr(v, "dag_id", None) == "send_retry")
    return dag.test(run_conf={"sms_conn_id": CONN_IDS[vendor], "count": COUNT})


def test_html_200_on_every_send_is_never_reported_sent(airflow_db, emulator, vendor):
    emulator.add_fault("raw_reply", vendor=vendor, path=SEND_PATH[vendor], body=HTML)

    dag_run = run(vendor)

    assert tries(dag_run) == [(1, "failed"), (2, "failed")]  # red, both tries
    assert emulator.messages() == []  # nothing went out
    assert xcom_value(dag_run, "send") == []  # no result at all, so no made-up id
    failed = xcom_value(dag_run, "send", "failed")
    unconfirmed = xcom_value(dag_run, "send", "unconfirmed")
    assert sorted(item["recipient"] for item in [*failed, *unconfirmed]) == numbers()
    assert {item["reason"] for item in failed} <= {"outcome_unknown"}
    assert all(item["error"]["error"] == "SmsOutcomeUnknownError" for item in failed)
    text = json.dumps([failed, unconfirmed])
    assert "None" not in text.replace("null", "")
    assert "We will be back soon" not in text
    # try 2 asked the gateway about each unknown send before sending again
    assert len(emulator.requests(vendor=vendor, path=SEND_PATH[vendor])) == (
        2 * COUNT if vendor == "primotexto" else 2
    )


def test_html_200_then_the_gateway_again_sends_each_recipient_once(airflow_db, emulator, vendor):
    sends_in_try_1 = COUNT if vendor == "primotexto" else 1
    emulator.add_fault("raw_reply", vendor=vendor, path=SEND_PATH[vendor], body=HTML, count=sends_in_try_1)

    dag_run = run(vendor)

    assert tries(dag_run) == [(1, "failed"), (2, "success")]
    received = sorted(m["recipient"] for m in emulator.messages(vendor=vendor))
    assert received == numbers()  # one SMS each: the gateway had none, so they were sent again
    ids = {m["recipient"]: str(m["message_id"]) for m in emulator.messages(vendor=vendor)}
    results = xcom_value(dag_run, "send")
    assert [r["recipient"] for r in results] == numbers()
    assert all(r["message_id"] == ids[r["recipient"]] for r in results)  # the gateway's own ids
