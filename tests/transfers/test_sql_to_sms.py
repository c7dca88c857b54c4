"""SqlToSmsOperator against a real SQLite database (common.sql's ``DbApiHook`` through the SQLite
provider's hook, found from an Airflow connection) and the emulator on both gateways."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import AirflowSkipException

from airflow_provider_sms.exceptions import SmsConfigurationError, SmsValidationError
from airflow_provider_sms.transfers.sql_to_sms import SqlToSmsOperator
from tests.helpers.task_fakes import FakeTI, MemoryStore

QUERY = "SELECT phone, order_id, first_name, delivery FROM orders WHERE confirmed IS NULL ORDER BY order_id"
MESSAGE = "Bonjour {{ row.first_name }}, votre commande {{ row.order_id }} sera livrée le {{ row.delivery }}"


@pytest.fixture
def shop_db(tmp_path, monkeypatch):
    """A SQLite database with 1,200 orders (1,000 unconfirmed), as Airflow connection ``shop_db``."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE orders (order_id INTEGER, phone TEXT, first_name TEXT, delivery TEXT, confirmed TEXT)"
        )
        db.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
            [
                (
                    10_000 + i,
                    f"+3361{2_000_000 + i:07d}",
                    f"Client{i}",
                    f"{1 + i % 28:02d}/04",
                    "yes" if i >= 1000 else None,
                )
                for i in range(1200)
            ],
        )
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_DB", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    return path


def run(operator):
    ti = FakeTI()
    try:
        return operator.execute({"ti": ti, "task_state_store": MemoryStore()}), ti
    except Exception as exc:
        return exc, ti


def make(conn_id, **kwargs) -> SqlToSmsOperator:
    kwargs.setdefault("sql", QUERY)
    kwargs.setdefault("message", MESSAGE)
    kwargs.setdefault("check_credits", False)
    return SqlToSmsOperator(
        task_id="send",
        sql_conn_id="shop_db",
        sms_conn_id=conn_id,
        recipient_column="phone",
        key_column="order_id",
        fetch_size=300,
        **kwargs,
    )


def test_each_row_gets_its_own_text_and_keeps_its_key(emulator, vendor, conn_id, shop_db):
    result, ti = run(make(conn_id))
    assert not isinstance(result, Exception), result
    texts = {m["recipient"]: m["text"] for m in emulator.messages(vendor=vendor)}
    assert len(texts) == 1000
    assert texts["+33612000007"] == "Bonjour Client7, votre commande 10007 sera livrée le 08/04"
    assert [(r["key"], r["position"]) for r in result] == [(10_000 + i, i) for i in range(1000)]
    assert ti.xcom["skipped"] == ti.xcom["failed"] == ti.xcom["unconfirmed"] == []
    if vendor == "smspartner":  # different texts: 500 per /bulk-send request
        sends = Counter(r["path"] for r in emulator.requests(vendor=vendor) if "send" in r["path"])
        assert sends == Counter({"/v1/bulk-send": 2})


def test_parameters_and_a_message_column(emulator, vendor, conn_id, shop_db):
    sql = "SELECT phone, order_id, 'Texte prêt ' || order_id AS ready FROM orders WHERE order_id < ?"
    if vendor == "primotexto":
        sql = sql.replace("prêt", "pret")
    result, _ = run(make(conn_id, sql=sql, parameters=(10_003,), message=None, message_column="ready"))
    assert not isinstance(result, Exception), result
    assert sorted(m["text"] for m in emulator.messages(vendor=vendor)) == [
        sql.split("'")[1] + str(10_000 + i) for i in range(3)
    ]


def test_a_row_with_a_missing_column_value_fails_before_any_request(emulator, conn_id, shop_db):
    with sqlite3.connect(shop_db) as db:
        db.execute("UPDATE orders SET first_name = NULL WHERE order_id = 10004")
    result, _ = run(make(conn_id))
    assert isinstance(result, SmsValidationError)
    assert result.problems == [
        "row 4 (key 10004): message template: an expression printed None (an empty field?)"
    ]
    assert emulator.requests() == []


def test_no_row_skips_or_fails(emulator, conn_id, shop_db):
    empty = "SELECT phone, order_id FROM orders WHERE 0"
    result, _ = run(make(conn_id, sql=empty))
    assert isinstance(result, AirflowSkipException)
    result, _ = run(make(conn_id, sql=empty, action_on_empty="fail"))
    assert isinstance(result, SmsValidationError)
    assert emulator.requests() == []


def test_a_missing_column_is_named(emulator, conn_id, shop_db):
    result, _ = run(make(conn_id, sql="SELECT phone FROM orders"))
    assert isinstance(result, SmsValidationError)
    assert "no key_column 'order_id'" in str(result)


def test_options_are_checked_when_the_dag_is_parsed():
    with pytest.raises(SmsValidationError) as info:
        SqlToSmsOperator(
            task_id="t",
            sql="SELECT 1",
            sql_conn_id="db",
            sms_conn_id="sms",
            message="Hi",
            action_on_empty="ignore",
            recipient_column="",
            fetch_size=0,
        )
    text = str(info.value)
    assert "action_on_empty" in text
    assert "recipient_column" in text
    assert "fetch_size" in text


def test_a_connection_without_a_sql_hook_is_refused(emulator, conn_id):
    result, _ = run(
        SqlToSmsOperator(task_id="t", sql="SELECT 1", sql_conn_id=conn_id, sms_conn_id=conn_id, message="x")
    )
    assert isinstance(result, SmsConfigurationError)
    assert "not a common.sql DbApiHook" in str(result)


def test_the_dry_run_reads_the_rows_and_sends_nothing(emulator, conn_id, shop_db):
    summary, _ = run(make(conn_id, dry_run=True))
    assert summary["recipients"] == 1000
    assert summary["samples"][0]["key"] == 10_000
    assert emulator.requests() == []


def test_templated_sql_from_params(emulator, vendor, conn_id, shop_db):
    operator = make(
        conn_id,
        sql="SELECT phone, order_id, first_name, delivery FROM orders WHERE order_id < {{ params.below }}",
    )
    ctx = {"ti": FakeTI(), "task_state_store": MemoryStore(), "params": {"below": 10_002}}
    operator.render_template_fields(ctx)
    result = operator.execute(ctx)
    assert [r["key"] for r in result] == [10_000, 10_001]
