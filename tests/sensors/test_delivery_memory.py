"""Reschedule mode keeps what earlier pokes learnt (sensors/delivery_memory.py), and poke mode
paces its pokes start to start (sensors/base.py)."""

from __future__ import annotations

import importlib
import json

import pytest

from airflow_provider_sms.sensors import base as sensor_base
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor
from airflow_provider_sms.toolkit import task_store as journal_store
from airflow_provider_sms.toolkit.task_store import TaskStateStore
from airflow_provider_sms.tracking.delivery import DeliveryTracker
from airflow_provider_sms.tracking.delivery_memory import KEY_PREFIX, DeliveryMemory
from airflow_provider_sms.tracking.figures_gate import FiguresGate
from airflow_provider_sms.version_compat import get_base_airflow_version_tuple
from tests.helpers.delivery import delivered_after_requests
from tests.helpers.task_fakes import MemoryStore

MESSAGES = [
    {"message_id": "m1", "recipient": "+33612340101"},
    {"message_id": "m2", "recipient": "+33612340102"},
    {"message_id": "m3", "recipient": "+33612340103"},
]

#: dag.test() breaks reschedule-mode sensors before Airflow 3.1.4 (apache/airflow#58777).
needs_dag_test_reschedule = pytest.mark.skipif(
    get_base_airflow_version_tuple() < (3, 1, 4),
    reason="dag.test() breaks reschedule-mode sensors before Airflow 3.1.4 (apache/airflow#58777)",
)


def _tracker_after_one_delivery() -> DeliveryTracker:
    tracker = DeliveryTracker(MESSAGES, gate=FiguresGate(clock=lambda: 1000.0))
    tracker.gate.unchanged_since_last_pass({"cat": {"sent": 3, "delivered": 1}})
    tracker.record([{"message_id": "m2", "recipient": "+33612340102", "state": "delivered"}])
    return tracker


def _memory(store: MemoryStore, messages=MESSAGES) -> DeliveryMemory:
    return DeliveryMemory(TaskStateStore(store, KEY_PREFIX), messages)


def test_final_statuses_and_figures_come_back_in_the_next_poke():
    store = MemoryStore()
    _memory(store).save(_tracker_after_one_delivery())

    fresh = DeliveryTracker(MESSAGES, gate=FiguresGate(clock=lambda: 1010.0))
    assert _memory(store).load(fresh) == 1
    assert [m["message_id"] for m in fresh.pending()] == ["m1", "m3"]
    assert fresh.final[("m2", "+33612340102")].state == "delivered"
    # same figures, fresh enough: the next poke asks about no message
    assert fresh.gate.unchanged_since_last_pass({"cat": {"sent": 3, "delivered": 1}})
    assert not fresh.gate.unchanged_since_last_pass({"cat": {"sent": 3, "delivered": 2}})


def test_the_memory_holds_no_phone_number():
    store = MemoryStore()
    _memory(store).save(_tracker_after_one_delivery())
    stored = json.dumps(store.data)
    assert "+3361234" not in stored
    assert "612340" not in stored
    assert set(store.data) == {f"{KEY_PREFIX}.0", f"{KEY_PREFIX}.1"}


def test_memory_of_other_messages_is_ignored():
    store = MemoryStore()
    _memory(store).save(_tracker_after_one_delivery())
    others = [dict(m, message_id=f"x{i}") for i, m in enumerate(MESSAGES)]
    fresh = DeliveryTracker(others)
    assert _memory(store, others).load(fresh) == 0
    assert len(fresh.pending()) == 3
    assert fresh.gate.last is None


def test_final_statuses_are_rewritten_only_when_they_grow():
    store = MemoryStore()
    memory = _memory(store)
    tracker = _tracker_after_one_delivery()
    memory.save(tracker)
    memory.save(tracker)
    final_writes = store.sets - 2  # the gate part is written every time
    assert final_writes == 1


def test_a_broken_store_costs_a_full_pass_not_the_sensor(caplog):
    class Broken(MemoryStore):
        def get(self, key, default=None):
            raise RuntimeError("store down")

        def set(self, key, value, *, retention=None):
            raise RuntimeError("store down")

    tracker = DeliveryTracker(MESSAGES)
    memory = _memory(Broken())
    assert memory.load(tracker) == 0
    memory.save(_tracker_after_one_delivery())
    assert "Could not read" in caplog.text
    assert "Could not save" in caplog.text


def test_malformed_memory_is_a_fresh_start():
    store = MemoryStore()
    memory = _memory(store)
    store.data[f"{KEY_PREFIX}.0"] = {"fingerprint": memory.fingerprint, "figures": [["c", "bad"]]}
    tracker = DeliveryTracker(MESSAGES)
    assert memory.load(tracker) == 0
    assert tracker.gate.last is None


# ---------------------------------------------------------------------------------------------- pacing
def test_poke_mode_waits_the_interval_less_the_time_the_poke_took(monkeypatch):
    sensor = SmsDeliverySensor(task_id="w", sms_conn_id="c", messages=[], poke_interval=1.0, deferrable=False)
    now = [100.0]
    monkeypatch.setattr(sensor_base.time, "monotonic", lambda: now[0])
    started_at = 99.7  # the first poke took 0.3 s
    assert sensor._get_next_poke_interval(started_at, lambda: 0.3, 1) == pytest.approx(0.7)
    now[0] = 100.7 + 0.2  # slept 0.7 s, then a poke of 0.2 s
    assert sensor._get_next_poke_interval(started_at, lambda: 1.2, 2) == pytest.approx(0.8)
    now[0] = 100.9 + 0.8 + 2.5  # a poke longer than the interval: the shortest pause, never none
    assert sensor._get_next_poke_interval(started_at, lambda: 4.0, 3) == pytest.approx(0.1)


def test_reschedule_mode_keeps_airflows_interval():
    sensor = SmsDeliverySensor(
        task_id="w", sms_conn_id="c", messages=[], poke_interval=5.0, mode="reschedule", deferrable=False
    )
    assert sensor._get_next_poke_interval(0.0, lambda: 3.0, 1) == 5.0


# ---------------------------------------------------------------------------------------------- e2e
def _run(conn_id: str, count: int):
    dag = importlib.import_module("tests.dags.delivery_memory").dag
    return dag.test(run_conf={"sms_conn_id": conn_id, "count": count})


def _states(dag_run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def _per_message_requests_per_poke(requests: list[dict]) -> list[int]:
    """Per-message status requests of each poke (a poke starts with its figures request)."""
    pokes: list[int] = []
    for request in requests:
        if "messages/stats" in request["path"]:
            pokes.append(0)
        elif "messages/status" in request["path"] and pokes:
            pokes[-1] += 1
    return pokes


@needs_dag_test_reschedule
def test_reschedule_pokes_ask_only_about_pending_messages(airflow_db, emulator):
    count, idle = 8, 4
    emulator.configure(delivery_delay=3600)  # pending until the test delivers them
    # Delivered once poke 1 + `idle` pokes + one more have asked for the figures (a poke each):
    # pokes 2..1+idle certainly saw nothing move, however slowly or quickly the machine runs them.
    with delivered_after_requests(emulator, "primotexto", "messages/stats", idle + 2):
        dag_run = _run("emu_primotexto", count)
    assert _states(dag_run) == {"send": "success", "wait": "success"}

    per_poke = _per_message_requests_per_poke(emulator.requests(vendor="primotexto"))
    assert len(per_poke) >= idle + 2, per_poke
    # Without memory every poke would ask about all 8 messages: here the first poke does, the
    # idle ones ask about none, and a poke whose figures moved asks about the pending ones only.
    assert per_poke[0] == count, per_poke
    assert per_poke[1 : 1 + idle] == [0] * idle, per_poke
    assert all(asked <= count for asked in per_poke), per_poke
    assert sum(per_poke) <= 3 * count < len(per_poke) * count, per_poke


@needs_dag_test_reschedule
def test_reschedule_memory_in_variables_before_airflow_3_3(airflow_db, emulator, monkeypatch):
    from airflow.models.variable import Variable as VariableModel
    from airflow.utils.session import create_session

    monkeypatch.setattr(journal_store, "_task_state_store", lambda context: None)
    written: list[str] = []
    original = journal_store.VariableStore.write

    def spy(self, part, value):
        written.append(self.key(part))
        original(self, part, value)

    monkeypatch.setattr(journal_store.VariableStore, "write", spy)
    emulator.configure(delivery_delay=1.5)
    dag_run = _run("emu_smspartner", 2)
    assert _states(dag_run) == {"send": "success", "wait": "success"}
    memory_keys = {k for k in written if k.startswith(KEY_PREFIX)}
    assert memory_keys, "the sensor kept its memory in Variables"
    with create_session() as session:
        left = session.query(VariableModel).filter(VariableModel.key.in_(memory_keys)).count()
    assert left == 0, "dropped once the wait is over"
