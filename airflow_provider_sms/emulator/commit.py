"""When a send's effects land: at once, or ``commit_delay`` seconds after its request arrived.

A ``commit_delay`` fault rule makes the middleware stamp the request with :data:`COMMIT_AT`. The
send handler validates and answers as usual (message id included), but the messages, the charge and
everything derived from them (status, by-tag, figures) appear only at that time: the gateway
committing a send after the client gave up on its reply.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow_provider_sms.emulator.state import EmulatorState

#: Event-loop time (``loop.time()``) at which the request's effects commit; absent: at once.
COMMIT_AT = web.RequestKey("commit_at", float)


def commit(request: web.Request, state: EmulatorState, apply: Callable[[float], None]) -> None:
    """Run ``apply(real_now)`` under the state lock, now or at the request's commit time.

    Call it with the lock held when the checks made before must hold at commit (an immediate
    commit then happens under the same lock). A delayed commit is dropped by a ``reset()`` in
    between; :attr:`EmulatorState.pending_commits` counts those still to come.
    """
    loop = asyncio.get_running_loop()
    at = request.get(COMMIT_AT)
    if at is None or at <= loop.time():
        with state.lock:
            apply(time.time())
        return
    with state.lock:
        generation = state.generation
        state.pending_commits += 1

    def run() -> None:
        with state.lock:
            if state.generation == generation:
                state.pending_commits -= 1
                apply(time.time())

    loop.call_at(at, run)
