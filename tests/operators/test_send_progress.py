"""Progress lines in the task log: the cadence rule, then long sends and list edits on the emulator
with an injected clock (each progress update advances it), and short real runs that log none."""

from __future__ import annotations

import logging
import re
import threading

import pytest

from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.operators.blacklist import SmsBlacklistAddOperator
from airflow_provider_sms.toolkit import progress as progress_module
from airflow_provider_sms.toolkit.progress import Progress
from tests.operators.test_send_operator import CONN_IDS, make, numbers, run

LINE = re.compile(
    r"progress: (\d+)/(\d+) (recipients|numbers) \(\d+%\): (\d+) (\w+), (\d+) (\w+), (\d+) failed; "
    r"[\d.]+/s; (about \d+ s left|done|finishing)$"
)


class StepClock:
    """A clock that moves ``step`` seconds at every reading (thread-safe): time = work done."""

    def __init__(self, step: float) -> None:
        self.step, self.now, self.lock = step, -step, threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            self.now += self.step
            return self.now


def progress_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("progress:")]


def done_counts(lines: list[str]) -> list[int]:
    return [int(LINE.match(line).group(1)) for line in lines]


# ---------------------------------------------------------------------------------------------- the rule
@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (0.5, list(range(20, 101, 10))),  # 10% (5 s) comes before 10 s: a line per 10%, from 10 s on
        (2.0, list(range(5, 101, 5))),  # 10 s (5 items) comes before 10%: a line every 10 s
        (0.05, []),  # the whole run takes 5 s: no line
    ],
)
def test_a_line_every_10_seconds_or_10_percent_once_the_run_lasts_10_seconds(caplog, step, expected):
    caplog.set_level(logging.INFO)
    progress = Progress(100, clock=StepClock(step))
    for _ in range(100):
        progress.add(1, 0, 0)
    lines = progress_lines(caplog)
    assert done_counts(lines) == expected
    assert progress.lines == len(expected)


def test_a_line_says_counts_rate_and_finish(caplog):
    caplog.set_level(logging.INFO)
    progress = Progress(40, done=(10, 2, 0), clock=StepClock(1.0))
    for index in range(28):
        progress.add(*(0, 0, 1) if index % 7 == 0 else (1, 0, 0))
    first = progress_lines(caplog)[0]
    # 10 adds (10 s): 22 done of 40, 10 more than at the start, so 1.0/s and 18 s left
    assert (
        first == "progress: 22/40 recipients (55%): 18 accepted, 2 skipped, 2 failed; 1.0/s; about 18 s left"
    )
    assert progress_lines(caplog)[-1].endswith("; done")


# ---------------------------------------------------------------------------------------------- on the emulator
def test_a_long_send_logs_progress_at_the_expected_cadence_without_a_number(emulator, caplog, monkeypatch):
    monkeypatch.setattr(progress_module, "DEFAULT_CLOCK", StepClock(0.5))
    caplog.set_level(logging.INFO)
    recipients = numbers(100)

    result, ti = run(make(CONN_IDS["primotexto"], recipients, max_concurrency=4))

    assert not isinstance(result, Exception), result
    lines = progress_lines(caplog)
    assert done_counts(lines) == list(range(20, 101, 10))  # one request per number on Primotexto
    assert all(LINE.match(line) for line in lines), lines
    assert lines[-1].startswith("progress: 100/100 recipients (100%): 100 accepted, 0 skipped, 0 failed")
    text = "\n".join(lines)
    assert not re.search(r"\d{6,}", text)  # no phone number, whole or masked
    assert not any(number[-6:] in text for number in recipients)
    assert "Hi" not in text


def test_a_long_send_counts_skipped_and_failed(emulator, caplog, monkeypatch):
    from airflow_provider_sms.emulator import NUMBER_REJECTED

    stopped = numbers(20)[3]
    get_sms_hook(CONN_IDS["primotexto"]).add_to_blacklist(stopped)
    monkeypatch.setattr(progress_module, "DEFAULT_CLOCK", StepClock(1.0))
    caplog.set_level(logging.INFO)

    result, _ = run(make(CONN_IDS["primotexto"], [*numbers(19), NUMBER_REJECTED], max_concurrency=1))

    assert isinstance(result, Exception)  # the rejected number fails the task after the batch
    lines = progress_lines(caplog)
    assert done_counts(lines) == [10, 12, 14, 16, 18, 20]
    assert lines[-1].startswith("progress: 20/20 recipients (100%): 18 accepted, 1 skipped, 1 failed")


def test_a_short_send_logs_no_progress_line(emulator, vendor, conn_id, caplog):
    caplog.set_level(logging.INFO)
    result, _ = run(make(conn_id, numbers(30)))
    assert not isinstance(result, Exception), result
    assert progress_lines(caplog) == []


def test_a_long_list_edit_logs_progress(emulator, caplog, monkeypatch):
    monkeypatch.setattr(progress_module, "DEFAULT_CLOCK", StepClock(1.0))
    caplog.set_level(logging.INFO)
    operator = SmsBlacklistAddOperator(
        task_id="stop", sms_conn_id=CONN_IDS["primotexto"], recipients=numbers(30), max_concurrency=2
    )

    summary = operator.execute({"ti": None})

    assert summary["counts"]["added"] == 30
    lines = progress_lines(caplog)
    assert done_counts(lines) == [10, 12, 15, 18, 21, 24, 27, 30]
    assert lines[-1].startswith("progress: 30/30 numbers (100%): 30 added, 0 unchanged, 0 failed")
    assert not re.search(r"\d{6,}", "\n".join(lines))
