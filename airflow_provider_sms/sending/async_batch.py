"""The send operator's fast path: every request of a batch from one event loop over aiohttp.

Same requests, same per-request bookkeeping as the threaded :func:`~.batch.send_all` (both drive
:func:`~.batch.chunk_steps`: intent journaled before each request, outcomes classified and journaled
alike); only the I/O differs. ``max_concurrency`` workers take requests in turn, so at most that many
are in flight. The journal store is synchronous and is called from the loop: its writes are rare
(one intent write covers a window of requests, outcomes are flushed every ``journal_flush_every``
recipients or ``journal_flush_interval`` seconds), so the requests in flight wait at most one write.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from airflow_provider_sms.hooks.exchange import arun
from airflow_provider_sms.sending.batch import ChunkResults, chunk_steps, plan, send_all

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from airflow_provider_sms.hooks.base import BatchSendOutcome, SendRequest
    from airflow_provider_sms.sending.batch import BatchReport, SendBatch
    from airflow_provider_sms.toolkit.progress import Progress


async def asend_all(
    shared: SendBatch,
    todo: Sequence[str],
    tags: Callable[[int], str | None],
    max_concurrency: int,
    progress: Progress | None = None,
) -> BatchReport:
    """Async twin of :func:`~.batch.send_all` (same arguments, same report)."""
    requests = plan(shared, todo, tags)
    results = ChunkResults(len(requests), progress)
    hook, limiter = shared.hook, shared.limiter
    await hook.aget_settings()
    hook.pool_size = max(hook.pool_size, max_concurrency)
    async with hook.async_session() as session:

        async def send(wire: SendRequest) -> BatchSendOutcome:
            if limiter is not None:
                await limiter.await_turn(len(wire.recipients))
            return await hook.asend_request(wire, session)

        pending = iter(enumerate(requests))

        async def worker() -> None:
            for index, request in pending:  # one iterator shared by the workers: each takes the next
                results.done(index, await arun(chunk_steps(shared, request), send))

        await asyncio.gather(*(worker() for _ in range(min(max_concurrency, len(requests)))))
    return results.report()


def send_all_fastest(
    shared: SendBatch,
    todo: Sequence[str],
    tags: Callable[[int], str | None],
    max_concurrency: int,
    progress: Progress | None = None,
) -> BatchReport:
    """:func:`asend_all` on an event loop of its own; the threaded :func:`~.batch.send_all` when
    called from a running loop (where ``asyncio.run`` is not allowed)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(asend_all(shared, todo, tags, max_concurrency, progress))
    return send_all(shared, todo, tags, max_concurrency, progress)
