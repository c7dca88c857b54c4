"""Settle sends whose reply was lost, with what the gateway's records can tell.

An earlier try left an intent without an outcome (the worker died with the request possibly in
flight), or recorded "outcome unknown" (the request left, no clear reply came back). Each such
send is attributed exactly, or not at all (:mod:`~airflow_provider_sms.sending.attribution`):

* it *landed*: the result names the message this request created;
* it is *absent*: the gateway has nothing from it, so it is sent again; concluded only once the
  settle time has passed since the request (a gateway may commit a send after the client gave up
  on its reply), which :class:`Settling` says and the send run waits for;
* or it stays *unconfirmed*.

The hook's ``capabilities.reconciliation`` says how to ask: ``"by_request_tag"`` (each request
carried a tag of its own; the gateway lists the numbers sent under it, every page) or
``"by_recipient"`` (the gateway names the latest message to each number, with its id and creation
time, placed on our clock with the measured offset of the gateway's; where the gateway counts a
category's messages and the send used the task's own category, that count cross-checks the times).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow_provider_sms.exceptions import SmsError
from airflow_provider_sms.model.results import SendResult
from airflow_provider_sms.sending.attribution import (
    ABSENT,
    Verdict,
    Window,
    by_creation,
    by_listing,
    cross_checked,
    unconfirmed,
)
from airflow_provider_sms.sending.journal import ACCEPTED
from airflow_provider_sms.toolkit.fanout import map_bounded

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.model.results import DeliveryStatus
    from airflow_provider_sms.sending.batch import BatchReport, SendRun

#: Default of the send operator's ``outcome_settle_seconds``: how long after a request the gateway
#: is assumed to show what it did with it (never less than the connection's read timeout).
DEFAULT_SETTLE_SECONDS = 60.0


@dataclass
class Reconciliation:
    """What the gateway's records say about sends of unknown outcome.

    :param landed: accepted after all (not to be sent again), with the id of the message.
    :param landed_as: the identity of each ``landed`` recipient.
    :param absent: never arrived (safe to send again).
    :param unconfirmed: the gateway cannot tell.
    :param reasons: why each ``unconfirmed`` identity stays so.
    """

    landed: list[SendResult] = field(default_factory=list)
    landed_as: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unknown:
    """A recipient whose earlier send has no known outcome: when it left, under which tag.

    :param recipient: its identity in the journal and the report.
    :param at: epoch seconds before which its request cannot have left.
    :param number: its E.164 number (default: the identity).
    :param in_flight: the try ended with the request possibly in flight (it may have left any time
        after ``at``); else its reply was lost and ``at`` is when it left.
    """

    recipient: str
    at: float
    tag: str | None = None
    number: str = ""
    in_flight: bool = False

    @property
    def phone(self) -> str:
        """The number the gateway knows it by."""
        return self.number or self.recipient


@dataclass(frozen=True)
class Settling:
    """What this try knows when it settles unknown outcomes.

    :param settle_seconds: how long after a request the gateway shows what it did with it.
    :param resumed_at: when this try began to settle (epoch); a request in flight when an earlier
        try ended left before then.
    :param known_ids: the message id of every recipient the journal holds as accepted.
    :param accepted: how many recipients the journal holds as accepted.
    :param unknown: how many it holds with an unknown outcome (whatever the input now holds).
    :param own_category: the task's own category, when the send used it (only this task instance
        and its mapped siblings send under it).
    :param scheduled_at: the epoch the send was scheduled for (``None``: at once).
    """

    settle_seconds: float = DEFAULT_SETTLE_SECONDS
    resumed_at: float = 0.0
    known_ids: frozenset[str] = frozenset()
    accepted: int = 0
    unknown: int = 0
    own_category: str | None = None
    scheduled_at: float | None = None

    def window(self, item: Unknown) -> Window:
        """When ``item``'s message can have been created, on the local clock."""
        left_by = self.resumed_at if item.in_flight else item.at
        return Window(item.at, left_by + self.settle_seconds, self.scheduled_at)

    def settled_by(self, unknown: Sequence[Unknown]) -> float:
        """When the gateway shows what it did with every one of ``unknown`` (epoch)."""
        return max((self.window(item).end for item in unknown), default=0.0)


def apply_journal(
    run: SendRun, recipients: Sequence[str], report: BatchReport
) -> tuple[list[str], list[Unknown]]:
    """Read the journal of earlier tries: recover accepted recipients into ``report``; return the
    recipients never tried and those of unknown outcome."""
    journal = run.journal
    if not journal.load():
        return list(recipients), []
    todo: list[str] = []
    unknown: list[Unknown] = []
    for recipient in recipients:
        entry = journal.lookup(recipient)
        if entry is None:
            todo.append(recipient)
        elif entry.status == ACCEPTED:
            report.recover(
                SendResult(
                    message_id=str(entry.message_id),
                    recipient=run.send.number_of(recipient),
                    credits_used=entry.credits_used,
                    segments=entry.segments,
                    vendor=run.hook.conn_type,
                    category=run.send.request.category,
                ),
                recipient,
            )
        else:
            number = run.send.number_of(recipient)
            unknown.append(Unknown(recipient, entry.at or 0.0, entry.tag, number, entry.in_flight))
    return todo, unknown


def _by_tag(
    hook: SmsHook, unknown: Sequence[Unknown], category: str | None, max_concurrency: int
) -> list[Verdict]:
    tags = list(dict.fromkeys(item.tag for item in unknown if item.tag and item.tag != category))

    def listed(tag: str) -> dict[str, DeliveryStatus] | None:
        try:
            return {str(s.recipient): s for s in hook.statuses_by_tag(tag)}
        except SmsError:
            return None

    found = dict(zip(tags, map_bounded(listed, tags, max_concurrency), strict=True))
    untold = unconfirmed("its request carried no tag of its own")  # e.g. a journal of an older release
    return [by_listing(item.phone, found[item.tag]) if item.tag in found else untold for item in unknown]


def landed_beyond_known(hook: SmsHook, settling: Settling, category: str | None) -> int | None:
    """How many messages the task's own category holds beyond those the journal knows accepted,
    when the gateway counts them and the count can be read and squares with the journal; else
    ``None``. Not for a scheduled send (its messages count only once due)."""
    if not (
        hook.capabilities.status_summary_by_category
        and category is not None
        and category == settling.own_category
        and settling.scheduled_at is None
    ):
        return None
    try:
        sent = hook.get_status_summary(category).get("sent")
    except SmsError:
        return None
    if sent is None or not 0 <= sent - settling.accepted <= settling.unknown:
        return None  # the count does not square with the journal (it moved on, or counts otherwise)
    return sent - settling.accepted


def _by_recipient(
    hook: SmsHook, unknown: Sequence[Unknown], settling: Settling, category: str | None, max_concurrency: int
) -> list[Verdict]:
    beyond = landed_beyond_known(hook, settling, category)
    if beyond == 0:  # none of the unknown sends landed: no need to ask about each number
        return [ABSENT] * len(unknown)

    def ask(item: Unknown) -> Verdict:
        try:
            message = hook.latest_message_to(item.phone)
        except SmsError:
            return unconfirmed("the gateway could not be asked")
        return by_creation(message, settling.window(item), hook.gateway_clock.reading(), settling.known_ids)

    return cross_checked(map_bounded(ask, unknown, max_concurrency), beyond)


def _verdicts(
    hook: SmsHook, unknown: Sequence[Unknown], settling: Settling, category: str | None, max_concurrency: int
) -> list[Verdict]:
    how = hook.capabilities.reconciliation
    if how == "by_request_tag":
        return _by_tag(hook, unknown, category, max_concurrency)
    if how == "by_recipient":
        return _by_recipient(hook, unknown, settling, category, max_concurrency)
    return [unconfirmed(f"{hook.hook_name} cannot tell what became of a send")] * len(unknown)


def reconcile(
    hook: SmsHook,
    unknown: Sequence[Unknown],
    settling: Settling,
    *,
    segments: int | None,
    category: str | None = None,
    max_concurrency: int,
) -> Reconciliation:
    """Ask the gateway about sends of unknown outcome (see the module docstring). A send found
    absent before its settle time has passed stays unconfirmed."""
    result = Reconciliation()
    verdicts = _verdicts(hook, unknown, settling, category, max_concurrency)
    now = time.time()
    for item, verdict in zip(unknown, verdicts, strict=True):
        if verdict.attribution == "absent" and settling.window(item).end > now:
            verdict = unconfirmed("the gateway may still commit it: its settle time has not passed")
        if verdict.attribution == "landed":
            result.landed_as.append(item.recipient)
            result.landed.append(
                SendResult(
                    message_id=str(verdict.message_id or ""),
                    recipient=item.phone,
                    segments=segments,
                    vendor=hook.conn_type,
                    category=category,
                )
            )
        elif verdict.attribution == "absent":
            result.absent.append(item.recipient)
        else:
            result.unconfirmed.append(item.recipient)
            result.reasons[item.recipient] = verdict.reason
    return result
