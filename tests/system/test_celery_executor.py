"""System tests with CeleryExecutor: Redis, 2 Celery workers, PostgreSQL, Airflow's own components.

The mapped send runs 8 tasks on both workers (1,250 recipients each on Primotexto, 5,000 on SMS
Partner) while the emulator drops, refuses and loses replies at random (seeded); Airflow's scheduler
retries the failed tries. The emulator's own record then says whether any number got two SMS or none.
"""

from __future__ import annotations

import importlib.util
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers.fault_mix import add_fault_mix
from tests.helpers.gateways import CONN_IDS
from tests.system.api import AirflowApi

#: Mapped tasks: as many as the 2 workers' 8 slots, so both workers take some.
CHUNKS = 8
#: Recipients per task. Primotexto takes one number per request: 8 x 1,250 = 10,000 requests already
#: meet hundreds of faults and take every chunk through 2 to 4 tries (more only lengthens the first
#: try and the journal each retry reads). SMS Partner takes 500 per request: 8 x 5,000 = 80 requests
#: are few already (its drop fault lands once), and its first try takes seconds.
SIZES = {"primotexto": 1250, "smspartner": 5000}
#: (kind, share of send requests, arguments) per gateway. Primotexto takes one number per request
#: (10,000 requests), so a few percent already means hundreds of faults and several tries per
#: chunk; SMS Partner takes 500 (80 requests), so its shares are higher for every kind to land.
FAULT_MIX = {
    "primotexto": (
        ("server_error", 0.03, {"empty_body": True}),
        ("rate_limit", 0.01, {"retry_after": 1}),
        ("drop", 0.005, {}),
        ("accept_then_drop", 0.005, {}),
    ),
    "smspartner": (
        ("server_error", 0.15, {"empty_body": True}),
        ("rate_limit", 0.05, {"retry_after": 1}),
        ("drop", 0.05, {}),
        ("accept_then_drop", 0.05, {}),
    ),
}
SEED = 7


@pytest.fixture(scope="module")
def api(celery_stack):
    return AirflowApi(celery_stack.api_url)


def chunk_numbers(size: int) -> list[list[str]]:
    path = Path(__file__).parent / "dags" / "sys_mapped_send.py"
    spec = importlib.util.spec_from_file_location("sys_mapped_send", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.chunk_numbers(CHUNKS, size)


@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_a_mapped_send_on_two_celery_workers_sends_each_number_once(
    celery_stack, api, gateway, record_time, vendor
):
    size = SIZES[vendor]
    numbers = [n for chunk in chunk_numbers(size) for n in chunk]
    gateway.configure(credits=1_000_000)  # the emulator's default balance covers 10,000 SMS
    add_fault_mix(gateway, vendor, SEED, FAULT_MIX[vendor])
    started = time.monotonic()
    try:
        run_id = api.trigger(
            "sys_mapped_send", {"sms_conn_id": CONN_IDS[vendor], "chunks": CHUNKS, "size": size}
        )
        state, seen = api.wait_for_run("sys_mapped_send", run_id, timeout=900, poll=2)
    finally:
        faults = {rule["kind"]: rule.get("applied", 0) for rule in gateway.faults.describe()}
        gateway.clear_faults()
    seconds = time.monotonic() - started

    wanted = set(numbers)
    accepted = Counter(m["recipient"] for m in gateway.messages(vendor) if m["recipient"] in wanted)
    duplicates = sum(count - 1 for count in accepted.values() if count > 1)
    lost = len(wanted - set(accepted))
    tis = [ti for ti in api.task_instances("sys_mapped_send", run_id) if ti["task_id"] == "send"]
    tries = sorted(ti["try_number"] for ti in tis)
    per_worker = {
        name: celery_stack.processes.log(name).count("execute_workload") for name in ("worker0", "worker1")
    }
    journal = journal_rows(celery_stack, run_id)
    record_time(
        f"{vendor}: mapped send {CHUNKS} x {size:,} on 2 Celery workers, faults {faults}: "
        f"duplicates {duplicates}, lost {lost}, tries {tries}, tasks per worker {per_worker}, "
        f"journal {journal}",
        seconds,
    )
    assert state == "success", seen
    assert len(tis) == CHUNKS
    assert all(ti["state"] == "success" for ti in tis)
    assert duplicates == 0
    assert lost == 0
    assert all(count > 0 for count in faults.values()), faults
    assert all(count > 0 for count in per_worker.values()), per_worker


def test_quickstart_on_celery_with_the_deferrable_sensor(celery_stack, api, gateway, record_time):
    started = time.monotonic()
    gateway.configure(delivery_delay=6)
    try:
        run_id = api.trigger("example_sms_quickstart", {"sms_conn_id": CONN_IDS["smspartner"]})
        state, seen = api.wait_for_run("example_sms_quickstart", run_id, timeout=240)
    finally:
        gateway.configure(delivery_delay=2)
    record_time("quickstart on Celery, deferrable sensor, smspartner", time.monotonic() - started)
    assert state == "success", seen
    assert "deferred" in seen["wait_for_delivery"], seen


def journal_rows(stack, run_id: str) -> str:
    """What the retry journals of the run hold in the metadata database (rows, bytes)."""
    for table in ("task_state_store", "variable"):
        where = (
            f"dag_id = 'sys_mapped_send' AND run_id = '{run_id}'"
            if table == "task_state_store"
            else "key LIKE 'sms_send_journal.%'"
        )
        column = "value" if table == "task_state_store" else "val"
        try:
            rows, size = stack.postgres.query(
                f"SELECT count(*), coalesce(sum(length({column})), 0) FROM {table} WHERE {where}"
            )[0]
        except Exception:  # no task_state_store before Airflow 3.3
            continue
        if int(rows):
            return f"{rows} rows / {int(size) // 1024} KiB in {table}"
    return "0 rows"
