"""Keep Python's cyclic garbage collector off the heap that predates a large send.

A task process holds a few hundred thousand objects (Airflow, the DAG, the providers) before it
sends anything. A large send creates tens of thousands more (results, journal entries, request
state), enough to trigger full collections that walk the whole heap again and again: measured at
3,000 recipients, 64 in flight, two full collections cost 0.3 s of a 3.2 s send.
:func:`frozen_heap` moves the objects that exist when the send starts to the collector's permanent
generation (:func:`gc.freeze`) and gives them back when it ends (:func:`gc.unfreeze`), so
collections during the send only look at what the send made. Nothing is lost: cyclic garbage among
the older objects is collected after the send instead of during it.

Blocks nest: an inner block freezes what the outer one has made since it began (a send's checked
rows, before its requests), and the outermost block gives everything back. When something else in
the process froze objects first (Airflow's executors do before forking), the objects that exist
when the block begins are frozen all the same but never given back (unfreezing would also give
back what the other froze); they are still freed when no longer referenced, only cycles among
them wait for the process to end.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Allocations between two young collections in a block (Python's default: 700): fewer
#: collections, each of more objects, most of which a send has dropped by then.
YOUNG_THRESHOLD = 50_000


class _Blocks:
    """The blocks open now, and whether the outermost one froze first (nobody else had)."""

    depth = 0
    ours = False


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the existing heap for the duration of the block (see the module docstring)."""
    if not gc.isenabled():
        yield
        return
    outermost = _Blocks.depth == 0
    if outermost:  # counting the frozen objects walks them all: only the outermost block asks
        _Blocks.ours = gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], YOUNG_THRESHOLD), *thresholds[1:])
    _Blocks.depth += 1
    try:
        yield
    finally:
        _Blocks.depth -= 1
        gc.set_threshold(*thresholds)
        if outermost and _Blocks.ours:
            gc.unfreeze()
