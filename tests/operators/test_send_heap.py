"""sending/heap.py: the heap that predates a send is frozen during it and given back after (by the
outermost block, and only where no one else froze first)."""

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


def test_someone_elses_freeze_is_never_given_back(monkeypatch):
    gc.freeze()
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
    with frozen_heap():
        pass
    assert calls == ["freeze"]  # ours joins theirs; unfreezing would give back theirs too
    assert gc.get_freeze_count() > 0


def _in_the_collector(items):
    """Whether the collector's generations hold each item (frozen ones are outside them)."""
    tracked = {id(item) for item in gc.get_objects()}
    return [id(item) in tracked for item in items]


def test_an_inner_block_freezes_what_the_outer_one_made_and_the_outer_gives_all_back():
    with frozen_heap():
        made_between = [[] for _ in range(100)]
        assert all(_in_the_collector(made_between))
        with frozen_heap():
            assert not any(_in_the_collector(made_between))
        assert not any(_in_the_collector(made_between))  # kept until the outer block ends
    assert all(_in_the_collector(made_between))
    assert gc.get_freeze_count() == 0


def test_nothing_is_done_with_the_collector_disabled():
    gc.disable()
    with frozen_heap():
        assert gc.get_freeze_count() == 0
