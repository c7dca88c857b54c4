"""A personalised send of the common shape gives the same results whether its rows are checked
column by column (``rules/row_columns.py``) or row by row (``check_columns`` made to say
``None``): same return value, XComs, keys and positions, and the same SMS received by the
emulator over HTTP, on both gateways."""

from __future__ import annotations

from collections import Counter

from airflow_provider_sms.rules import request as request_rules
from tests.operators.test_send_rows import SEND_PATHS, context, make, run

ROWS = 300
#: A template that only prints row fields (a task-level ``{{ ds }}`` would send it row by row).
TEMPLATE = "Bonjour {{ row.first_name }}, votre commande {{ row.order }} sera livrée le {{ row.day }}"


def common_rows(count: int) -> list[dict[str, object]]:
    """Dict rows, E.164 mobiles each once, whole-number and text keys, every template field set."""
    return [
        {
            "recipient": f"+336{51_000_000 + i:08d}",
            "key": i if i % 3 else f"order-{i}",
            "first_name": ("Marie", "Jean", "Chloe", "Hugo")[i % 4],
            "order": 10_000 + i,
            "day": f"{1 + i % 28:02d}/04",
        }
        for i in range(count)
    ]


def send(emulator, vendor, conn_id):
    """What one send gives back: the return value, the XComs, what the emulator received.

    Message ids are the emulator's, given in the order requests arrive (Primotexto's go out in
    parallel): each is checked against the emulator's record, then left out of the comparison."""
    ctx = context()
    result, ti = run(make(conn_id, common_rows(ROWS), message=TEMPLATE), ctx)
    assert not isinstance(result, Exception), result
    messages = emulator.messages(vendor=vendor)
    ids = {m["recipient"]: m["message_id"] for m in messages}
    assert [r["message_id"] for r in result] == [ids[r["recipient"]] for r in result]
    received = Counter((m["recipient"], m["text"]) for m in messages)
    requests = [r["path"] for r in emulator.requests(vendor=vendor) if r["path"] in SEND_PATHS]
    without_ids = [{k: v for k, v in r.items() if k != "message_id"} for r in result]
    return without_ids, ti.xcom, received, Counter(requests)


def test_the_columns_and_the_rows_send_the_same(emulator, vendor, conn_id, monkeypatch):
    taken = []

    def watched(*args, **kwargs):
        checked = check_columns(*args, **kwargs)
        taken.append(checked is not None)
        return checked

    check_columns = request_rules.check_columns
    monkeypatch.setattr(request_rules, "check_columns", watched)
    by_columns = send(emulator, vendor, conn_id)
    assert taken == [True]  # the common shape took the column path

    emulator.reset()
    monkeypatch.setattr(request_rules, "check_columns", lambda *args, **kwargs: None)
    by_rows = send(emulator, vendor, conn_id)

    result, xcom, received, requests = by_columns
    assert [(r["key"], r["position"]) for r in result] == [
        (row["key"], i) for i, row in enumerate(common_rows(ROWS))
    ]
    assert len(received) == ROWS
    assert result == by_rows[0]
    assert xcom == by_rows[1]
    assert received == by_rows[2]
    assert requests == by_rows[3]
