"""Airflow metrics: StatsD turned on toward a UDP socket of the test's own; a send, a 429 retried by
the hook, and a delivery sensor on the emulator; the counters that arrive, and nothing when off."""

from __future__ import annotations

import socket
from collections import Counter

import pytest
from airflow.providers.common.compat.sdk import Stats

from airflow_provider_sms.emulator import NUMBER_REJECTED
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.sensors.delivery import SmsDeliverySensor
from airflow_provider_sms.toolkit import metrics
from tests.helpers.delivery import context
from tests.operators.test_send_operator import CONN_IDS, make, numbers, run


class StatsdListener:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.3)
        self.port = self.sock.getsockname()[1]
        self.packets: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                data = self.sock.recv(65535).decode()
            except TimeoutError:
                return self.packets
            self.packets.extend(line for line in data.splitlines() if line)

    def counters(self) -> Counter:
        totals: Counter = Counter()
        for packet in self.drain():
            name, rest = packet.split(":", 1)
            value, kind = rest.split("|")[:2]
            if kind == "c":
                totals[name] += int(value)
        return totals

    def timings(self, name: str) -> list[float]:
        return [float(p.split(":")[1].split("|")[0]) for p in self.drain() if p.startswith(name + ":")]


@pytest.fixture
def statsd(monkeypatch):
    listener = StatsdListener()
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_ON", "True")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_HOST", "127.0.0.1")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_PORT", str(listener.port))
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_PREFIX", "airflow")
    try:
        from airflow.sdk._shared.observability.metrics.base_stats_logger import NoStatsLogger
        from airflow.sdk.observability.metrics.stats_utils import get_stats_factory
    except ImportError:  # Airflow 3.0: Stats builds its backend on first use, from its metaclass's factory
        from airflow.metrics.statsd_logger import get_statsd_logger

        monkeypatch.setattr(type(Stats), "factory", get_statsd_logger)
        monkeypatch.setattr(Stats, "instance", None)
        restore = None
    else:
        Stats.initialize(factory=get_stats_factory(), export_legacy_names=False)
        restore = NoStatsLogger
    metrics.reset()
    yield listener
    if restore is not None:
        Stats.initialize(factory=restore, export_legacy_names=True)
    metrics.reset()
    listener.sock.close()


def test_send_retry_and_delivery_counters_reach_statsd(emulator, statsd):
    conn_id = CONN_IDS["primotexto"]
    stopped = numbers(5)[1]
    get_sms_hook(conn_id).add_to_blacklist(stopped)
    statsd.drain()
    statsd.packets.clear()
    emulator.add_fault("rate_limit", vendor="primotexto", path="send", count=1, retry_after=0)

    result, ti = run(make(conn_id, [*numbers(5), NUMBER_REJECTED]))

    assert isinstance(result, Exception)  # the rejected number fails the task
    sent = [r["recipient"] for r in ti.xcom["return_value"]]
    assert len(sent) == 4
    counts = statsd.counters()
    plain = f"airflow.sms.%s.primotexto.{conn_id}"
    assert counts[plain % "send.accepted"] == 4
    assert counts[plain % "send.skipped"] == 1
    assert counts[plain % "send.failed"] == 1
    assert counts[plain % "send.unconfirmed"] == 0
    assert counts[plain % "request.retries"] == 1
    assert counts["airflow.sms.send.accepted"] == 4  # the tagged name (plain StatsD drops the tags)
    # one latency per reply the hook read (the blacklist call above was drained; the 429 counts)
    assert len(statsd.timings(plain % "request.latency")) == 7

    sensor = SmsDeliverySensor(
        task_id="wait", sms_conn_id=conn_id, messages=ti.xcom["return_value"], poke_interval=0.1, timeout=10
    )
    sensor.execute(context())
    assert statsd.counters()[plain % "delivery.delivered"] == 4


def test_nothing_reaches_stats_when_metrics_are_off(emulator, monkeypatch):
    calls = []
    monkeypatch.setattr(Stats, "incr", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(Stats, "timing", lambda *a, **k: calls.append(a))
    metrics.reset()
    result, _ = run(make(CONN_IDS["smspartner"], numbers(3)))
    assert not isinstance(result, Exception), result
    assert calls == []
    assert metrics.enabled() is False
