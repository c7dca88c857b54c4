"""sending/heap.py: the heap that predates a send is frozen during it and given back after."""

from __future__ import annotations

import gc

import pytest

from airflow_provider_sms.sending.heap import frozen_heap


@pytest.fixture(autouse=True)
def _restore_gc():
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()


def test_the_existing_heap_is_frozen_during_the_block_and_given_back():
    older = [[] for _ in range(100)]
    assert gc.get_freeze_count() == 0
    with frozen_heap():
        frozen = gc.get_freeze_count()
        assert frozen >= len(older)
        made_during = [[] for _ in range(100)]
        assert all(gc.is_tracked(item) for item in made_during)  # new objects are still collected
        # new objects do not join the frozen ones (frozen ones may still be freed by refcount)
        assert gc.get_freeze_count() <= frozen
    assert gc.get_freeze_count() == 0


def test_given_back_when_the_block_raises():
    with pytest.raises(RuntimeError), frozen_heap():
        raise RuntimeError("send failed")
    assert gc.get_freeze_count() == 0


def test_someone_elses_freeze_is_left_alone(monkeypatch):
    gc.freeze()
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
    with frozen_heap():
        pass
    assert calls == []
    assert gc.get_freeze_count() > 0


def test_nothing_is_done_with_the_collector_disabled():
    gc.disable()
    with frozen_heap():
        assert gc.get_freeze_count() == 0
