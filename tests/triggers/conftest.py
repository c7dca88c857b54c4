"""Fixtures of the trigger tests."""

from __future__ import annotations

import time

import pytest

from airflow_provider_sms.triggers import polling


class RecordingClock:
    """The poll loop's clock (real monotonic time), with every reading kept."""

    def __init__(self):
        self.readings = []

    def __call__(self):
        self.readings.append(time.monotonic())
        return self.readings[-1]

    def last_poll(self):
        """How long the poll that just ended took (the loop reads the clock at its start and end)."""
        return self.readings[-1] - self.readings[-2]


@pytest.fixture
def poll_clock(monkeypatch):
    clock = RecordingClock()
    monkeypatch.setattr(polling, "CLOCK", clock)
    return clock
