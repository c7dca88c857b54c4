"""SmsSendOperator end to end: ``dag.test()`` on both gateways against the emulator.

One run per gateway covers one number (templated from params), a 1,000-number batch taken from an
upstream task's XCom (with a duplicate in another spelling), and ``.partial().expand()`` over
chunks. Every assertion reads what the emulator received, not what the operator says it did.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections import Counter
from pathlib import Path

from tests.helpers.gateways import CONN_IDS

SINGLE = "+33620000001"
BULK = [f"+336{10_000_000 + i:08d}" for i in range(1000)]
CHUNKED = [f"+336{30_000_000 + i:08d}" for i in range(600)]


def xcom_values(dag_run, task_id: str, key: str = "return_value") -> dict[int, object]:
    """XCom values of ``task_id`` in ``dag_run``, by map index."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids=task_id, key=key)
        return {row.map_index: XComModel.deserialize_value(row) for row in session.scalars(query)}


def load_dag(dag_id: str, module: str = "tests.dags.send_e2e"):
    """The DAG object from its file in the dags folder (``dag.test()`` needs it there)."""
    return next(
        v for v in vars(importlib.import_module(module)).values() if getattr(v, "dag_id", None) == dag_id
    )


def test_single_bulk_and_mapped_chunks(airflow_db, emulator, vendor):
    dag_run = load_dag("send_e2e").test(run_conf={"sms_conn_id": CONN_IDS[vendor]})

    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    assert set(states.values()) == {"success"}, states
    assert sorted(i for t, i in states if t == "send_chunks") == [0, 1, 2]

    received = Counter(m["recipient"] for m in emulator.messages(vendor=vendor))
    assert received == Counter([SINGLE, *BULK, *CHUNKED])  # exactly one SMS each, nothing else
    texts = {m["recipient"]: m["text"] for m in emulator.messages(vendor=vendor)}
    assert texts[SINGLE] == "Your order 1000 has shipped"  # message templated from params
    assert {m["sender"] for m in emulator.messages(vendor=vendor) if m["recipient"] == SINGLE} == {"MyShop"}

    single = xcom_values(dag_run, "send_single")[-1]
    assert [r["recipient"] for r in single] == [SINGLE]
    bulk = xcom_values(dag_run, "send_bulk")[-1]
    assert [r["recipient"] for r in bulk] == BULK  # input order, the duplicate merged
    assert {r["vendor"] for r in bulk} == {vendor}
    ids = {m["recipient"]: m["message_id"] for m in emulator.messages(vendor=vendor)}
    assert all(str(ids[r["recipient"]]) == r["message_id"] for r in bulk)
    mapped = xcom_values(dag_run, "send_chunks")
    assert [r["recipient"] for i in sorted(mapped) for r in mapped[i]] == CHUNKED
    assert xcom_values(dag_run, "send_bulk", "failed") == {-1: []}
    assert xcom_values(dag_run, "send_bulk", "skipped") == {-1: []}

    sends = [r for r in emulator.requests(vendor=vendor) if r["method"] == "POST" and "send" in r["path"]]
    expected = 1 + 1000 + 600 if vendor == "primotexto" else 1 + 2 + 3  # SMS Partner: 500 per request
    assert len(sends) == expected


def load_example(name: str):
    """The ``dag`` of ``example_dags/<name>.py`` (the file also sits in the test dags folder)."""
    path = Path(__file__).resolve().parents[2] / "example_dags" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_dags_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def rendered_fields(dag_run, task_id: str) -> dict[int, dict]:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(RenderedTaskInstanceFields).where(
            RenderedTaskInstanceFields.dag_id == dag_run.dag_id,
            RenderedTaskInstanceFields.run_id == dag_run.run_id,
            RenderedTaskInstanceFields.task_id == task_id,
        )
        return {row.map_index: row.rendered_fields for row in session.scalars(query)}


def test_example_confirmation_codes(airflow_db, emulator, vendor, capsys):
    dag = load_example("example_sms_confirmation_codes")

    dag_run = dag.test(run_conf={"sms_conn_id": CONN_IDS[vendor], "sender": "MyShop"})

    assert {ti.state for ti in dag_run.get_task_instances()} == {"success"}
    messages = emulator.messages(vendor=vendor)
    assert sorted(m["recipient"] for m in messages) == ["+33639980010", "+33639980011", "+33639980012"]
    codes = [
        re.fullmatch(r"Your confirmation code is (\d{6})\. It expires in 10 minutes\.", m["text"])
        for m in messages
    ]
    assert all(codes)
    assert {m["sender"] for m in messages} == {"MyShop"}
    summary = xcom_values(dag_run, "record_sent")[-1]
    assert summary["accepted"] == 3
    assert sorted(summary["message_ids"]) == ["a-1001", "a-1002", "a-1003"]  # by the rows' keys
    send_requests = [r for r in emulator.requests(vendor=vendor) if "send" in r["path"]]
    assert len(send_requests) == (1 if vendor == "smspartner" else 3)  # one /bulk-send for all
    # the codes stay out of the logs and of the send task's rendered fields
    output = capsys.readouterr()
    logs = output.out + output.err
    for match in codes:
        # a bare 6-digit code could collide with a timestamp's microseconds: look for the text
        assert match.group(0) not in logs
        assert f"is {match.group(1)}" not in logs
    rendered = rendered_fields(dag_run, "send_codes")
    assert sorted(rendered) == [-1]  # one task instance, not one per SMS
    assert {fields["message"] for fields in rendered.values()} == {"***"}
    assert all(match.group(1) not in str(rendered) for match in codes)


def test_rendered_recipients_are_masked(airflow_db, emulator):
    dag_run = load_dag("send_e2e").test(run_conf={"sms_conn_id": CONN_IDS["primotexto"]})

    shown = str(rendered_fields(dag_run, "send_bulk")[-1]["recipients"])  # Airflow truncates long ones
    assert "'+3361****00', '+3361****01'" in shown
    assert rendered_fields(dag_run, "send_single")[-1]["recipients"] == ["+3362****01"]
    text = str(rendered_fields(dag_run, "send_single")) + str(rendered_fields(dag_run, "send_chunks"))
    assert SINGLE not in text
    assert not any(number in text for number in CHUNKED)
    assert not any(number in str(shown) for number in BULK)
    # ... while every SMS went to the full number
    assert len(emulator.messages(vendor="primotexto")) == 1 + len(BULK) + len(CHUNKED)
