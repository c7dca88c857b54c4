"""Settle sends whose reply was lost, with what the gateway's records can tell.

An earlier try recorded the request as "outcome unknown" (the request left, no clear reply came
back). Where the hook declares it can name the latest message to a number
(``capabilities.reconciliation == "by_recipient"``), each number is looked up: a message that
changed after our request started is ours (accepted, not resent); no message, or an older one,
means ours never arrived (sent again). Whatever cannot be settled stays *unconfirmed*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from airflow_provider_sms.exceptions import SmsError
from airflow_provider_sms.results import SendResult
from airflow_provider_sms.sending.fanout import map_bounded
from airflow_provider_sms.sending.journal import ACCEPTED

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.results import DeliveryStatus
    from airflow_provider_sms.sending.batch import BatchReport, SendBatch

#: A message the gateway reports for a number counts as ours when it changed at most this many
#: seconds before our unknown-outcome request started (clock skew between us and the gateway).
RECONCILE_SKEW_SECONDS = 120.0

Verdict = Literal["landed", "absent", "unconfirmed"]


@dataclass
class Reconciliation:
    """What the gateway's records say about sends of unknown outcome.

    :param landed: accepted after all (not to be sent again).
    :param absent: never arrived (safe to send again).
    :param unconfirmed: the gateway cannot tell.
    """

    landed: list[SendResult] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _verdict(hook: SmsHook, recipient: str, started_at: float) -> tuple[Verdict, DeliveryStatus | None]:
    try:
        status = hook.get_delivery_status(recipient=recipient)
    except SmsError:
        return "unconfirmed", None
    if status.vendor_state == "not_found":
        return "absent", None
    changed = _epoch(status.updated_at)
    if changed is not None and changed < started_at - RECONCILE_SKEW_SECONDS:
        return "absent", None  # the latest message to that number predates our request
    return "landed", status


def apply_journal(
    shared: SendBatch, recipients: Sequence[str], report: BatchReport
) -> tuple[list[str], list[tuple[str, float]]]:
    """Read the journal of earlier tries: recover accepted recipients into ``report``; return the
    recipients never tried and the ``(recipient, request start)`` pairs of unknown outcome."""
    journal = shared.journal
    if not journal.load():
        return list(recipients), []
    todo: list[str] = []
    unknown: list[tuple[str, float]] = []
    for recipient in recipients:
        entry = journal.lookup(recipient)
        if entry is None:
            todo.append(recipient)
        elif entry.status == ACCEPTED:
            report.recover(
                SendResult(
                    message_id=str(entry.message_id),
                    recipient=recipient,
                    credits_used=entry.credits_used,
                    segments=entry.segments,
                    vendor=shared.hook.conn_type,
                )
            )
        else:
            unknown.append((recipient, entry.at or 0.0))
    return todo, unknown


def reconcile(
    hook: SmsHook,
    unknown: Sequence[tuple[str, float]],
    *,
    segments: int | None,
    max_concurrency: int,
) -> Reconciliation:
    """Ask the gateway about ``(recipient, request start epoch)`` pairs of unknown outcome."""
    result = Reconciliation()
    if hook.capabilities.reconciliation != "by_recipient":
        result.unconfirmed.extend(recipient for recipient, _ in unknown)
        return result
    verdicts = map_bounded(lambda item: _verdict(hook, *item), unknown, max_concurrency)
    for (recipient, _), (verdict, status) in zip(unknown, verdicts, strict=True):
        if verdict == "landed" and status is not None:
            result.landed.append(
                SendResult(
                    message_id=str(status.message_id or ""),
                    recipient=recipient,
                    segments=segments,
                    vendor=hook.conn_type,
                )
            )
        elif verdict == "absent":
            result.absent.append(recipient)
        else:
            result.unconfirmed.append(recipient)
    return result
