"""The category SmsSendOperator picks when the DAG gives none, where the gateway reads delivery figures
by category (Primotexto): stable across tries, the same for every map index, in every SendResult, and
what lets the delivery sensor's idle polls cost one request."""

from __future__ import annotations

import re

from airflow_provider_sms.hooks.primotexto import PrimotextoHook
from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.rules.request import label_problems
from airflow_provider_sms.sending.category import task_category
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor
from tests.helpers.gateways import CONN_IDS
from tests.helpers.task_fakes import FakeTI, MemoryStore

NUMBERS = [f"+336{50_000_000 + i:08d}" for i in range(5)]


def _ti(run_id: str = "r", map_index: int = -1, try_number: int = 1) -> FakeTI:
    ti = FakeTI()
    ti.run_id, ti.map_index, ti.try_number = run_id, map_index, try_number
    return ti


def _send(conn_id: str, ti: FakeTI, store: MemoryStore | None = None, **kwargs) -> list[dict]:
    operator = SmsSendOperator(
        task_id="send", sms_conn_id=conn_id, recipients=NUMBERS, message="Votre code: 1234", **kwargs
    )
    return operator.execute({"ti": ti, "task_state_store": store or MemoryStore()})  # type: ignore[return-value]


def _stats_and_status_requests(emulator, since: int) -> tuple[int, int]:
    records = emulator.requests(vendor="primotexto")[since:]
    return sum("stats" in r["path"] for r in records), sum(r["path"].endswith("status") for r in records)


def test_the_category_is_stable_per_task_and_run_and_fits_the_label_rules():
    chosen = task_category("d", "r", "send")
    assert re.fullmatch(r"airflow[0-9a-f]{20}", chosen)
    assert task_category("d", "r", "send") == chosen
    assert len({chosen, task_category("d", "r2", "send"), task_category("d2", "r", "send")}) == 3
    assert len({chosen, task_category("d", "r", "send2")}) == 2
    assert label_problems("category", chosen) == []
    assert PrimotextoHook("unused").category_problems(chosen) == []  # the hook's own rules, no request


def test_primotexto_sends_without_a_category_get_the_tasks_own(emulator):
    results = _send(CONN_IDS["primotexto"], _ti())

    expected = task_category("d", "r", "send")
    assert [r["category"] for r in results] == [expected] * len(NUMBERS)
    assert {m["category"] for m in emulator.messages(vendor="primotexto")} == {expected}


def test_a_given_category_is_kept_as_is(emulator):
    results = _send(CONN_IDS["primotexto"], _ti(), category="otp-20261201")

    assert {r["category"] for r in results} == {"otp-20261201"}
    assert {m["category"] for m in emulator.messages(vendor="primotexto")} == {"otp-20261201"}


def test_no_category_is_chosen_where_the_gateway_does_not_gate_polls_on_it(emulator):
    results = _send(CONN_IDS["smspartner"], _ti())

    assert {r["category"] for r in results} == {None}
    assert not any(
        str(m["category"] or "").startswith("airflow") for m in emulator.messages(vendor="smspartner")
    )


def test_every_try_and_map_index_shares_it_and_recovered_results_carry_it(emulator):
    store = MemoryStore()
    first = _send(CONN_IDS["primotexto"], _ti(try_number=1), store)
    sent = len(emulator.messages(vendor="primotexto"))

    retry = _send(CONN_IDS["primotexto"], _ti(try_number=2), store)  # all recovered from the journal

    assert len(emulator.messages(vendor="primotexto")) == sent  # nothing sent twice
    assert retry == first
    mapped = _send(CONN_IDS["primotexto"], _ti(map_index=3))
    assert {r["category"] for r in mapped} == {first[0]["category"]}
    other_run = _send(CONN_IDS["primotexto"], _ti(run_id="r2"))
    assert {r["category"] for r in other_run} != {first[0]["category"]}


def test_the_sensor_fed_the_send_output_polls_by_that_category(emulator):
    emulator.configure(delivery_delay=60)
    results = _send(CONN_IDS["primotexto"], _ti())
    sensor = SmsDeliverySensor(
        task_id="wait", sms_conn_id=CONN_IDS["primotexto"], messages=results, mode="poke", deferrable=False
    )
    context = {"ti": FakeTI()}

    start = len(emulator.requests(vendor="primotexto"))
    assert not sensor.poke(context).is_done  # type: ignore[arg-type]
    assert _stats_and_status_requests(emulator, start) == (1, len(NUMBERS))  # the first poll: a full pass
    for _ in range(2):
        start = len(emulator.requests(vendor="primotexto"))
        assert not sensor.poke(context).is_done  # type: ignore[arg-type]
        assert _stats_and_status_requests(emulator, start) == (1, 0)  # idle: the figures alone
