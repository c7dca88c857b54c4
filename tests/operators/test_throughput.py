"""Throughput limits: the ``max_in_flight`` / ``max_per_second`` connection extras, the per-task
options, and the messages-per-second ceiling (schedule with a fake clock, then timed end to end)."""

from __future__ import annotations

import asyncio
import time

import pytest

from airflow_provider_sms.exceptions import SmsConfigurationError, SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.operators.blacklist import SmsBlacklistAddOperator
from airflow_provider_sms.operators.send import SmsSendOperator
from airflow_provider_sms.toolkit.throttle import RateLimiter, throughput
from tests.helpers import gateways
from tests.helpers.task_fakes import FakeTI, MemoryStore


def connection(monkeypatch, emulator, vendor: str, **extra) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_THROTTLED", emulator.connection_json(vendor, **extra))
    return "throttled"


# --------------------------------------------------------------------------- the limiter
class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def test_the_limiter_books_one_slot_per_message():
    clock = Clock()
    limiter = RateLimiter(20, clock=clock, sleep=clock.sleep)
    for _ in range(60):
        limiter.wait(1)
    assert clock.slept == [0.05] * 59  # the first leaves at once
    assert clock.now == pytest.approx(2.95)


def test_a_request_of_many_numbers_holds_the_next_one_back():
    clock = Clock()
    limiter = RateLimiter(100, clock=clock, sleep=clock.sleep)
    assert [limiter.reserve(500), limiter.reserve(500), limiter.reserve(1)] == [0.0, 5.0, 10.0]


def test_the_async_wait_shares_the_schedule_and_idle_time_is_not_saved_up():
    clock = Clock()
    limiter = RateLimiter(10, clock=clock, async_sleep=clock.async_sleep)

    async def three():
        for _ in range(3):
            await limiter.await_turn()

    asyncio.run(three())
    assert clock.slept == [0.1, 0.1]
    clock.now += 60  # a quiet minute gives no burst afterwards
    assert [limiter.reserve(), limiter.reserve()] == [0.0, pytest.approx(0.1)]


# --------------------------------------------------------------------------- the extras
def test_the_extras_are_parsed_and_become_every_operator_default(monkeypatch, emulator, vendor):
    conn_id = connection(monkeypatch, emulator, vendor, max_in_flight="16", max_per_second=2.5)
    settings = get_sms_hook(conn_id).settings
    assert (settings.max_in_flight, settings.max_per_second) == (16, 2.5)
    concurrency, limiter = throughput(settings, None, None)
    assert concurrency == 16
    assert limiter is not None
    assert limiter.per_second == 2.5
    concurrency, limiter = throughput(settings, 4, 100)  # the task's own options win
    assert concurrency == 4
    assert limiter is not None
    assert limiter.per_second == 100


def test_without_extras_nothing_is_limited(emulator, vendor):
    settings = get_sms_hook(f"emu_{vendor}").settings
    assert (settings.max_in_flight, settings.max_per_second) == (None, None)
    assert throughput(settings, None, None) == (8, None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_in_flight", 0),
        ("max_in_flight", "1.5"),
        ("max_in_flight", 5000),
        ("max_in_flight", "many"),
        ("max_in_flight", True),
        ("max_per_second", 0),
        ("max_per_second", -3),
        ("max_per_second", "fast"),
        ("max_per_second", "nan"),
        ("max_per_second", "inf"),
    ],
)
def test_a_bad_extra_is_refused_by_name(monkeypatch, emulator, name, value):
    conn_id = connection(monkeypatch, emulator, "primotexto", **{name: value})
    with pytest.raises(SmsConfigurationError, match=f"extra '{name}'"):
        get_sms_hook(conn_id).settings


@pytest.mark.parametrize("value", [0, -1, "20", float("nan"), True])
def test_a_bad_max_per_second_option_is_refused_when_the_operator_is_built(value):
    with pytest.raises(SmsValidationError, match="max_per_second"):
        SmsSendOperator(
            task_id="s", sms_conn_id="c", recipients="+33612345678", message="Hi", max_per_second=value
        )
    with pytest.raises(SmsValidationError, match="max_per_second"):
        SmsBlacklistAddOperator(task_id="b", sms_conn_id="c", recipients="+33612345678", max_per_second=value)


def test_the_new_extras_are_on_the_connection_form():
    from airflow_provider_sms.get_provider_info import get_provider_info

    for conn in get_provider_info()["connection-types"]:
        assert {"max_in_flight", "max_per_second"} <= set(conn["conn-fields"])


# --------------------------------------------------------------------------- end to end
def test_the_connection_ceiling_holds_across_the_requests_in_flight(monkeypatch, emulator):
    conn_id = connection(monkeypatch, emulator, "primotexto", max_per_second=20, max_in_flight=16)
    op = SmsSendOperator(task_id="send", sms_conn_id=conn_id, recipients=numbers(60), message="Hi")
    started = time.monotonic()
    result = op.execute({"ti": FakeTI(), "task_state_store": MemoryStore()})
    elapsed = time.monotonic() - started
    assert len(result) == 60
    assert 2.8 <= elapsed < 20
    assert sum(1 for r in emulator.requests(vendor="primotexto") if r["path"].endswith("/send")) == 60


def test_the_task_option_overrides_the_connection_ceiling(monkeypatch, emulator):
    conn_id = connection(monkeypatch, emulator, "primotexto", max_per_second=1)
    op = SmsSendOperator(
        task_id="send", sms_conn_id=conn_id, recipients=numbers(20), message="Hi", max_per_second=1000
    )
    started = time.monotonic()
    assert len(op.execute({"ti": FakeTI(), "task_state_store": MemoryStore()})) == 20
    assert time.monotonic() - started < 10  # 20 s at the connection's 1/s


def test_blacklist_edits_share_the_ceiling_across_threads(monkeypatch, emulator):
    conn_id = connection(monkeypatch, emulator, "primotexto", max_per_second=20)
    op = SmsBlacklistAddOperator(
        task_id="add", sms_conn_id=conn_id, recipients=numbers(12), max_concurrency=8
    )
    started = time.monotonic()
    summary = op.execute({"ti": FakeTI()})
    assert len(summary["added"]) == 12
    assert 0.5 <= time.monotonic() - started < 15


def numbers(count: int, first: int = 42_000_000) -> list[str]:
    return gateways.numbers(count, first)
