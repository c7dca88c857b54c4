"""One execution of a send, in named phases: :meth:`SendRun.open` (journal, throughput, outcome
ledger), :meth:`SendRun.resume` (what earlier tries did), :meth:`SendRun.send` (the rest, over
aiohttp), :meth:`SendRun.finish` (XComs, the task's verdict).

The send operator drives every phase; the notifier (no retries, so no durable journal) drives
:meth:`SendRun.send` / :meth:`SendRun.asend` only, through :meth:`SendRun.for_callback`. Both go
through the same per-request bookkeeping (:mod:`~airflow_provider_sms.sending.batch`).
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import SmsJournalError
from airflow_provider_sms.model.results import XCOM_RETURN_KEY
from airflow_provider_sms.sending.async_batch import send_requests, send_requests_async
from airflow_provider_sms.sending.batch import BatchReport
from airflow_provider_sms.sending.category import own_category
from airflow_provider_sms.sending.heap import frozen_heap
from airflow_provider_sms.sending.journal import INTENT_WINDOW, SendJournal
from airflow_provider_sms.sending.observe import SendObserver
from airflow_provider_sms.sending.reconcile import DEFAULT_SETTLE_SECONDS, Settling, apply_journal, reconcile
from airflow_provider_sms.toolkit.fanout import Breaker
from airflow_provider_sms.toolkit.progress import Progress
from airflow_provider_sms.toolkit.task_store import MemoryStore
from airflow_provider_sms.toolkit.throttle import throughput

if TYPE_CHECKING:
    from collections.abc import Iterator

    from airflow.sdk import Context

    from airflow_provider_sms.exceptions import SmsError
    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.rules.request import ValidatedSend
    from airflow_provider_sms.sending.reconcile import Unknown
    from airflow_provider_sms.toolkit.throttle import RateLimiter

log = logging.getLogger(__name__)

#: The XCom keys a send pushes beside its return value.
OUTCOME_KEYS = ("skipped", "failed", "unconfirmed")


@dataclass(frozen=True)
class SendOptions:
    """How one execution sends (the operator's options, rendered).

    :param on_unknown_outcome: ``"fail"``, ``"skip"`` or ``"resend"`` (see the operator).
    :param outcome_settle_seconds: how long after a request the gateway is taken to show what it
        did with it (at least the connection's read timeout): an unknown outcome is found absent
        only after it, and a retry that comes sooner waits for it.
    """

    task_id: str = "send"
    on_unknown_outcome: str = "fail"
    outcome_settle_seconds: float = DEFAULT_SETTLE_SECONDS
    max_concurrency: int | None = None
    max_per_second: float | None = None
    journal_flush_every: int = 500
    journal_flush_interval: float = 2.0
    report_path: Any = None
    report_format: str | None = None
    report_mask_numbers: bool = False


class SendRun:
    """What every request of one execution shares, and the execution's phases.

    :param send: the validated send (its recipients, its text, its request options).
    :param journal: the retry journal of this task instance.
    :param concurrency: requests in flight at once.
    :param limiter: the messages-per-second ceiling shared by every request (``None``: none).
    :param breaker: when to stop early (default: at once after an account-level error, or after
        ``max(5, concurrency)`` transient failures in a row).
    """

    def __init__(
        self,
        hook: SmsHook,
        send: ValidatedSend,
        journal: SendJournal,
        *,
        concurrency: int,
        limiter: RateLimiter | None = None,
        options: SendOptions | None = None,
        breaker: Breaker | None = None,
    ) -> None:
        self.hook, self.send, self.journal = hook, send, journal
        self.concurrency, self.limiter = concurrency, limiter
        self.options = options or SendOptions()
        self.breaker = breaker or Breaker(threshold=max(5, concurrency))
        self.report = BatchReport(send.recipients, send.describe if send.rows is not None else None)
        self.report.skip_left_out(send.invalid, send.merged)
        self.observer: SendObserver | None = None
        #: The task's own category, when the send uses it (see :class:`Settling`).
        self.own_category: str | None = None
        self.tagged = True
        self.errors: list[SmsError] = []

    # ------------------------------------------------------------------ open
    @classmethod
    def open(cls, hook: SmsHook, send: ValidatedSend, context: Context, options: SendOptions) -> SendRun:
        """Set up a task's send: throughput from its options and the connection, its journal, its
        report (a bad ``report_path`` fails here, before any request)."""
        concurrency, limiter = throughput(hook.settings, options.max_concurrency, options.max_per_second)
        journal = SendJournal.for_context(
            context,
            flush_every=options.journal_flush_every,
            flush_interval=options.journal_flush_interval,
            intent_window=min(INTENT_WINDOW, hook.max_recipients_per_send * max(4, 4 * concurrency)),
        )
        run = cls(hook, send, journal, concurrency=concurrency, limiter=limiter, options=options)
        run.own_category = own_category(context)
        run.observer = SendObserver(
            hook, options.task_id, options.report_path, options.report_format, options.report_mask_numbers
        )
        run._log_plan()
        return run

    @classmethod
    def for_callback(cls, hook: SmsHook, send: ValidatedSend, concurrency: int = 8) -> SendRun:
        """A send with nothing to resume (a callback is not retried): its journal stays in memory."""
        run = cls(hook, send, SendJournal(MemoryStore(), salt="callback"), concurrency=concurrency)
        run.tagged = False  # nothing is ever reconciled: requests need no tag of their own
        return run

    def _log_plan(self) -> None:
        send, hook = self.send, self.hook
        log.info(
            "%s via %s (connection %s): %d recipient(s), %d duplicate(s) merged, %d invalid skipped; "
            "%d %s segment(s) per SMS; category %s",
            self.options.task_id,
            hook.hook_name,
            hook.sms_conn_id,
            len(send.recipients),
            send.duplicates,
            len(send.invalid),
            send.segments.segments,
            send.segments.encoding,
            send.request.category or "none",
        )

    # ------------------------------------------------------------------ resume
    def resume(self) -> list[str]:
        """Apply the journal of earlier tries and settle unknown outcomes; return what to send."""
        report, choice = self.report, self.options.on_unknown_outcome
        todo, unknown = apply_journal(self, self.send.recipients, report)
        log.info(
            "Retry journal (%s): %d recipient(s) already accepted in an earlier try are not sent "
            "again; %d had an unknown outcome",
            self.journal.kind,
            report.recovered,
            len(unknown),
        )
        if not unknown:
            return todo
        settling = self.settling()
        self._wait_to_settle(settling, unknown)
        settled = reconcile(
            self.hook,
            unknown,
            settling,
            segments=self.send.segments.segments,
            category=self.send.request.category,
            max_concurrency=self.concurrency,
        )
        self.journal.record_accepted(settled.landed, settled.landed_as)
        for recipient, result in zip(settled.landed_as, settled.landed, strict=True):
            report.recover(result, recipient)
        for recipient in settled.unconfirmed if choice != "resend" else ():
            why = settled.reasons.get(recipient) or "the gateway could not confirm it"
            if choice == "skip":
                report.skip(recipient, f"outcome_unknown: {why}; not resent")
            else:
                report.unconfirm(recipient, f"an earlier try's send: {why}; not resent")
        log.info(
            "Unknown outcomes checked with %s: %d found accepted, %d never arrived (sent again), "
            "%d unconfirmed (on_unknown_outcome=%s)",
            self.hook.hook_name,
            len(settled.landed),
            len(settled.absent),
            len(settled.unconfirmed),
            choice,
        )
        return todo + settled.absent + (settled.unconfirmed if choice == "resend" else [])

    def settling(self) -> Settling:
        """What this try knows to settle unknown outcomes: the settle time (never below the read
        timeout), the journal's accepted ids and counts, the task's category, the schedule."""
        read_timeout = self.hook.settings.timeout[1]
        settle = max(float(self.options.outcome_settle_seconds), read_timeout)
        accepted, unknown = self.journal.tally()
        send_at = self.send.request.send_at
        return Settling(
            settle_seconds=settle,
            resumed_at=time.time(),
            known_ids=self.journal.accepted_ids(),
            accepted=accepted,
            unknown=unknown,
            own_category=self.own_category,
            scheduled_at=send_at.timestamp() if send_at is not None else None,
        )

    def _wait_to_settle(self, settling: Settling, unknown: list[Unknown]) -> None:
        """Sleep until the gateway shows what it did with every unknown send (at most the settle
        time: a send cut off in flight may have left until this try began)."""
        wait = min(settling.settled_by(unknown) - time.time(), settling.settle_seconds)
        if wait > 0:
            log.info(
                "Waiting %.1f s before asking %s about %d send(s) of unknown outcome: a gateway may "
                "commit a send up to %.0f s after its request (outcome_settle_seconds)",
                wait,
                self.hook.hook_name,
                len(unknown),
                settling.settle_seconds,
            )
            time.sleep(wait)

    # ------------------------------------------------------------------ send
    def tag(self, index: int) -> str | None:
        """The reconciliation tag of request ``index``, where the gateway reconciles by tag: one of
        its own, with the send's category in it when it has one."""
        if not self.tagged or self.hook.capabilities.reconciliation != "by_request_tag":
            return None
        return self.hook.reconciliation_tag(self.send.request.category, self.journal.request_tag(index))

    def send_requests(self, todo: list[str]) -> None:
        """Send ``todo`` in requests of the gateway's size, ``concurrency`` at a time (asyncio, on a
        loop of its own), the heap that predates the send frozen meanwhile."""
        progress = self._progress(todo)
        _ = self.hook.settings  # read the connection once, before the requests start
        with frozen_heap():
            self.report.merge(send_requests(self, todo, self.tag, self.concurrency, progress))

    async def asend_requests(self, todo: list[str]) -> None:
        """Async twin of :meth:`send_requests`, for callers already on an event loop."""
        report = await send_requests_async(self, todo, self.tag, self.concurrency, self._progress(todo))
        self.report.merge(report)

    def _progress(self, todo: list[str]) -> Progress:
        report = self.report
        requests = -(-len(todo) // max(1, self.hook.max_recipients_per_send))
        log.info(
            "Sending to %d recipient(s) in %d request(s), %d at a time",
            len(todo),
            requests,
            min(self.concurrency, requests),
        )
        settled = (len(report.sent), len(report.skipped), len(report.failed) + len(report.unconfirmed))
        return Progress(len(report.order) + len(self.send.invalid) + len(self.send.merged), done=settled)

    # ------------------------------------------------------------------ finish
    @contextmanager
    def recording(self) -> Iterator[None]:
        """Around resume and send: whatever happens, the journal is flushed and the outcome
        logged, counted and reported; their errors are kept for :meth:`finish`."""
        try:
            yield
        finally:
            try:
                self.journal.flush()
            except SmsJournalError as exc:
                log.error("%s", exc)
                self.errors.append(exc)
            if self.observer is not None:
                report_error = self.observer.finish(self.report, self.journal)
                if report_error is not None:
                    self.errors.append(report_error)

    def finish(self, ti: Any) -> list[dict[str, Any]]:
        """Push the outcomes to XCom; raise what fails the task; else forget the journal and return
        the accepted results (the task's return value)."""
        report = self.report
        for key in OUTCOME_KEYS:
            ti.xcom_push(key=key, value=report.outcomes(key))
        journal_errors = [e for e in self.errors if isinstance(e, SmsJournalError)]
        if report.failed or report.unconfirmed:
            # Say what went out even though the task fails: downstream all_done tasks can read it.
            ti.xcom_push(key=XCOM_RETURN_KEY, value=report.results())
            for line in report.failure_lines():
                log.warning("not sent: %s", line)
            raise journal_errors[0] if journal_errors else report.error(self.hook, self.breaker)
        report_errors = [e for e in self.errors if not isinstance(e, SmsJournalError)]
        if report_errors:
            raise report_errors[0]
        try:
            self.journal.discard()
        except Exception as exc:  # the batch succeeded: a leftover journal must not fail it
            log.warning("Could not delete the retry journal (%s): %s", self.journal.kind, type(exc).__name__)
        return report.results()
