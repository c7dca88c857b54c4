"""The send operator's fast path: every request of a batch from one event loop over aiohttp.

Same requests, same per-request bookkeeping as the threaded :func:`~.batch.send_requests_threaded` (both drive
:func:`~.batch.journaled_request`: intent journaled before each request, outcomes classified and journaled
alike); only the I/O differs. Twice ``max_concurrency`` workers take requests in turn and
``max_concurrency`` slots let their requests out, so at most that many are in flight while a worker
that has its reply journals it (a gateway is not kept waiting while the replies of a burst are
read). A request that waited for a slot while the batch stopped does not leave (not attempted).
The journal store is synchronous and is called from the loop: its writes are rare
(one intent write covers a window of requests, outcomes are flushed every ``journal_flush_every``
recipients or ``journal_flush_interval`` seconds), so the requests in flight wait at most one write.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from airflow_provider_sms.hooks.exchange import adrive
from airflow_provider_sms.sending.batch import (
    NotAttemptedError,
    RequestOutcomes,
    SendPlan,
    journaled_request,
    send_requests_threaded,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from airflow_provider_sms.model.results import BatchSendOutcome
    from airflow_provider_sms.rules.request import SendRequest
    from airflow_provider_sms.sending.batch import BatchReport
    from airflow_provider_sms.sending.journal import PlannedRequest
    from airflow_provider_sms.sending.run import SendRun
    from airflow_provider_sms.toolkit.progress import Progress


#: Workers per request in flight: one waits for its reply while another journals the one it has.
WORKERS_PER_SLOT = 2


async def send_requests_async(
    run: SendRun,
    todo: Sequence[str],
    tags: Callable[[int], str | None],
    max_concurrency: int,
    progress: Progress | None = None,
) -> BatchReport:
    """Async twin of :func:`~.batch.send_requests_threaded` (same arguments, same report)."""
    plan = SendPlan(run, todo, tags)
    results = RequestOutcomes(len(plan.requests), progress)
    hook, limiter = run.hook, run.limiter
    await hook.aget_settings()
    slots = asyncio.Semaphore(max_concurrency)
    async with hook.async_session(pool_size=max(hook.pool_size, max_concurrency)) as session:

        async def send(wire: SendRequest) -> BatchSendOutcome:
            async with slots:
                if run.breaker.stopped:  # stopped while this request waited for its slot
                    raise NotAttemptedError
                if limiter is not None:
                    await limiter.await_turn(len(wire.recipients))
                outcome = await hook.asend_request(wire, session)
            await asyncio.sleep(0)  # the request waiting for this slot leaves before this reply is journaled
            return outcome

        async def worker(pending: Iterator[PlannedRequest]) -> None:
            for request in pending:  # one iterator shared by the workers: each takes the next
                released, held = plan.release(request)
                if released is not None:
                    held.merge(await adrive(journaled_request(run, released), send))
                results.done(request.index, held)

        for wave in plan.waves:
            pending = iter(wave)
            workers = min(WORKERS_PER_SLOT * max_concurrency, len(wave))
            await asyncio.gather(*(worker(pending) for _ in range(workers)))
            plan.settle(results, wave)
    return results.report()


def send_requests(
    run: SendRun,
    todo: Sequence[str],
    tags: Callable[[int], str | None],
    max_concurrency: int,
    progress: Progress | None = None,
) -> BatchReport:
    """:func:`send_requests_async` on an event loop of its own; the threaded :func:`~.batch.send_requests_threaded` when
    called from a running loop (where ``asyncio.run`` is not allowed)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(send_requests_async(run, todo, tags, max_concurrency, progress))
    return send_requests_threaded(run, todo, tags, max_concurrency, progress)
