"""The send operator's steps after validation: where a retry starts (the journal of earlier tries
applied, unknown outcomes settled with the gateway), then the recipients still to send, sent."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from airflow_provider_sms.sending.async_batch import send_all_fastest
from airflow_provider_sms.sending.heap import frozen_heap
from airflow_provider_sms.sending.reconcile import apply_journal, reconcile
from airflow_provider_sms.toolkit.progress import Progress

if TYPE_CHECKING:
    from airflow_provider_sms.rules.request import ValidatedSend
    from airflow_provider_sms.sending.batch import BatchReport, SendBatch

log = logging.getLogger(__name__)


def resume(
    shared: SendBatch,
    validated: ValidatedSend,
    report: BatchReport,
    *,
    on_unknown_outcome: str,
    max_concurrency: int,
) -> list[str]:
    """Apply the journal of earlier tries and settle unknown outcomes; return what to send.

    :param on_unknown_outcome: what to do with a recipient the gateway can neither confirm nor deny:
        ``"fail"`` (reported unconfirmed), ``"skip"`` (reported skipped) or ``"resend"``.
    """
    todo, unknown = apply_journal(shared, validated.recipients, report)
    log.info(
        "Retry journal (%s): %d recipient(s) already accepted in an earlier try are not sent again; "
        "%d had an unknown outcome",
        shared.journal.kind,
        report.recovered,
        len(unknown),
    )
    if not unknown:
        return todo
    hook = shared.hook
    settled = reconcile(
        hook,
        unknown,
        segments=validated.segments.segments,
        category=validated.request.category,
        max_concurrency=max_concurrency,
    )
    if settled.landed:
        shared.journal.record_accepted(settled.landed)
        for result in settled.landed:
            report.recover(result)
    choice = on_unknown_outcome
    for recipient in settled.unconfirmed if choice != "resend" else ():
        if choice == "skip":
            report.skip(recipient, "outcome_unknown: the gateway could not confirm it; not resent")
        else:
            report.unconfirm(recipient, "the gateway could not confirm an earlier try's send; not resent")
    log.info(
        "Unknown outcomes checked with %s: %d found accepted, %d never arrived (sent again), "
        "%d unconfirmed (on_unknown_outcome=%s)",
        hook.hook_name,
        len(settled.landed),
        len(settled.absent),
        len(settled.unconfirmed),
        choice,
    )
    return todo + settled.absent + (settled.unconfirmed if choice == "resend" else [])


def send_remaining(shared: SendBatch, todo: list[str], report: BatchReport, *, max_concurrency: int) -> None:
    """Send ``todo`` in requests of the gateway's size, ``max_concurrency`` at a time (asyncio), each
    under a tag of its own where the gateway reconciles lost replies by tag."""
    hook = shared.hook
    by_tag = hook.capabilities.reconciliation == "by_request_tag"
    category = shared.send.request.category

    def tag(index: int) -> str | None:
        return (category or shared.journal.request_tag(index)) if by_tag else None

    requests = -(-len(todo) // max(1, hook.max_recipients_per_send))
    log.info(
        "Sending to %d recipient(s) in %d request(s), %d at a time",
        len(todo),
        requests,
        min(max_concurrency, requests),
    )
    _ = hook.settings  # read the connection once, before the threads start
    settled = (len(report.sent), len(report.skipped), len(report.failed) + len(report.unconfirmed))
    progress = Progress(len(report.order) + len(shared.send.invalid), done=settled)
    with frozen_heap():
        report.merge(send_all_fastest(shared, todo, tag, max_concurrency, progress))
