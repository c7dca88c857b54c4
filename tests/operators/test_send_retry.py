"""No duplicate SMS when Airflow retries a send task (``dag.test()`` with ``retries=1``).

The emulator accepts some sends, then drops the connection mid-batch; the first try fails, Airflow
retries it, and the emulator's own record must show exactly one accepted message per recipient.
Both gateways, both fault kinds (``drop``: nothing accepted; ``accept_then_drop``: accepted but no
reply), both journal stores (Airflow 3.3's ``task_state_store`` and the Variable fallback).
"""

from __future__ import annotations

import importlib
import json
from collections import Counter

import pytest

from airflow_provider_sms.sending.category import task_category
from airflow_provider_sms.toolkit import task_store as journal_store
from airflow_provider_sms.version_compat import AIRFLOW_V_3_3_PLUS
from tests.helpers import gateways
from tests.helpers.gateways import CONN_IDS
from tests.helpers.task_fakes import tries, xcom_value

PRIMOTEXTO_SEND = "/v2/notification/messages/send"
SMSPARTNER_SEND = "/v1/send"


def load_dag(dag_id: str):
    module = importlib.import_module("tests.dags.send_retry")
    return next(v for v in vars(module).values() if getattr(v, "dag_id", None) == dag_id)


def sends(emulator, vendor: str) -> list[dict]:
    path = PRIMOTEXTO_SEND if vendor == "primotexto" else SMSPARTNER_SEND
    return [r for r in emulator.requests(vendor=vendor) if r["path"] == path]


def journal_rows(dag_run) -> dict[str, str]:
    """The run's rows in the task state store (Airflow 3.3+; older versions have no such store)."""
    if not AIRFLOW_V_3_3_PLUS:
        return {}
    from airflow.models.task_state_store import TaskStateStoreModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(TaskStateStoreModel.key, TaskStateStoreModel.value).where(
            TaskStateStoreModel.dag_id == dag_run.dag_id, TaskStateStoreModel.run_id == dag_run.run_id
        )
        return dict(session.execute(query).all())


def journal_variables_left() -> int:
    """Journal Variables still present (the Variable journal deletes its own once the task succeeds)."""
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    with create_session() as session:
        return session.query(Variable).filter(Variable.key.like("sms_send_journal.%")).count()


def run(dag_id: str, vendor: str, count: int):
    return load_dag(dag_id).test(run_conf={"sms_conn_id": CONN_IDS[vendor], "count": count})


def assert_one_each(emulator, vendor: str, count: int) -> dict[str, str]:
    received = Counter(m["recipient"] for m in emulator.messages(vendor=vendor))
    assert received == Counter(numbers(count)), "some recipient got no SMS or more than one"
    return {m["recipient"]: str(m["message_id"]) for m in emulator.messages(vendor=vendor)}


@pytest.mark.parametrize("kind", ["drop", "accept_then_drop"])
def test_primotexto_retry_sends_each_recipient_once(airflow_db, emulator, kind):
    emulator.add_fault(kind, vendor="primotexto", path=PRIMOTEXTO_SEND, after=300, count=1)

    dag_run = run("send_retry", "primotexto", 1000)

    assert tries(dag_run) == [(1, "failed"), (2, "success")]
    ids = assert_one_each(emulator, "primotexto", 1000)
    # try 1 made 1000 send requests; try 2 asked the gateway about the one without a reply and
    # re-sent it only when it had never arrived: the task category's count (one read) says how
    # many of its messages exist beyond the 999 it knows; none (drop): no status read is needed;
    # one (accept_then_drop): the number's latest message, created in the request's window, is it
    assert len(sends(emulator, "primotexto")) == (1001 if kind == "drop" else 1000)
    reads = [r["path"] for r in emulator.requests(vendor="primotexto") if r["method"] == "GET"]
    assert reads.count("/v2/messages/stats") == 1
    assert reads.count("/v2/messages/status") == (0 if kind == "drop" else 1)
    results = xcom_value(dag_run, "send")
    assert [r["recipient"] for r in results] == numbers(1000)  # recovered ones included
    assert all(ids[r["recipient"]] == r["message_id"] for r in results)
    # one category for both tries, on sent, journal-recovered and reconciled results alike
    category = task_category(dag_run.dag_id, dag_run.run_id, "send")
    assert (
        {r["category"] for r in results}
        == {m["category"] for m in emulator.messages("primotexto")}
        == {category}
    )
    assert xcom_value(dag_run, "send", "skipped") == []
    if not AIRFLOW_V_3_3_PLUS:  # the Variable journal (tested in detail below), gone after success
        assert journal_variables_left() == 0
        return
    # the journal lives in the task state store, without a phone number in clear
    rows = journal_rows(dag_run)
    assert rows
    assert all(key.startswith("sms_send_journal.") for key in rows)
    assert not any("+336" in value or "336200" in value for value in rows.values())


def test_smspartner_lost_reply_is_settled_by_its_request_tag(airflow_db, emulator):
    """1,200 numbers = 3 requests, each under its own tag; the second to arrive is accepted, then
    its reply is lost. The retry finds its numbers under its tag: nothing is sent again, nothing
    is lost, and the recovered results can still be tracked."""
    emulator.add_fault("accept_then_drop", vendor="smspartner", path=SMSPARTNER_SEND, after=1, count=1)

    dag_run = run("send_retry", "smspartner", 1200)

    assert tries(dag_run) == [(1, "failed"), (2, "success")]
    assert_one_each(emulator, "smspartner", 1200)
    bodies = [r["body"] for r in sends(emulator, "smspartner")]
    assert len(bodies) == 3  # nothing re-sent by the retry
    tags = [b["tag"] for b in bodies]
    assert len(set(tags)) == 3
    assert all(len(t) <= 20 and t == t.lower() and " " not in t for t in tags)
    assert xcom_value(dag_run, "send", "skipped") == []
    results = xcom_value(dag_run, "send")
    assert [r["recipient"] for r in results] == numbers(1200)
    recovered = [r for r in results if r["message_id"].startswith("tag:")]
    assert len(recovered) in (200, 500)  # the request whose reply was lost
    from airflow_provider_sms.hooks import get_sms_hook

    statuses = get_sms_hook(CONN_IDS["smspartner"]).get_delivery_statuses(recovered)
    assert {s.vendor_state for s in statuses} <= {"Waiting", "Delivered"}
    assert [s.recipient for s in statuses] == [r["recipient"] for r in recovered]


def test_smspartner_dropped_request_is_resent_with_resend(airflow_db, emulator):
    emulator.add_fault("drop", vendor="smspartner", path=SMSPARTNER_SEND, after=1, count=1)

    dag_run = run("send_retry_resend", "smspartner", 1200)

    assert tries(dag_run) == [(1, "failed"), (2, "success")]
    ids = assert_one_each(emulator, "smspartner", 1200)
    bodies = [r["body"]["phoneNumbers"].split(",") for r in sends(emulator, "smspartner")]
    assert len(bodies) == 4  # 3 in try 1 (one dropped), the dropped one again in try 2
    assert sorted(map(len, bodies)) in ([200, 200, 500, 500], [200, 500, 500, 500])
    results = xcom_value(dag_run, "send")
    assert [r["recipient"] for r in results] == numbers(1200)
    assert all(ids[r["recipient"]] == r["message_id"] for r in results)


def test_variable_fallback_when_the_task_state_store_is_absent(airflow_db, emulator, monkeypatch):
    """Airflow 3.0 to 3.2 have no ``task_state_store``: the journal falls back to Variables."""
    monkeypatch.setattr(journal_store, "_task_state_store", lambda context: None)
    written: list[tuple[str, dict]] = []
    original_write = journal_store.VariableStore.write

    def spy(self, part, value):
        written.append((self.key(part), value))
        original_write(self, part, value)

    monkeypatch.setattr(journal_store.VariableStore, "write", spy)
    emulator.add_fault("drop", vendor="primotexto", path=PRIMOTEXTO_SEND, after=100, count=1)

    dag_run = run("send_retry", "primotexto", 300)

    assert tries(dag_run) == [(1, "failed"), (2, "success")]
    assert_one_each(emulator, "primotexto", 300)
    assert len(sends(emulator, "primotexto")) == 301
    assert journal_rows(dag_run) == {}  # nothing in the task state store
    assert {value["try"] for _, value in written} == {1, 2}
    assert all(key.startswith("sms_send_journal.") and len(key) < 250 for key, _ in written)
    assert not any("+336" in json.dumps(value) for _, value in written)
    assert journal_variables_left() == 0  # deleted once the task succeeded


def numbers(count: int) -> list[str]:
    return gateways.numbers(count, 20_000_000)
