"""Settle sends whose reply was lost, with what the gateway's records can tell.

An earlier try left an intent without an outcome, or recorded "outcome unknown" (the request may
have left, no clear reply came back). The hook's ``capabilities.reconciliation`` says how to ask:

* ``"by_request_tag"``: every request carried a tag of its own; the numbers the gateway lists under
  that tag were accepted, the others were not (sent again). When the tag is the user's
  ``category`` (run by other sends), only entries dated at or after the request count.
* ``"by_recipient"``: the gateway names the latest message to each number; one that changed after
  our request started is ours (accepted), none or an older one means ours never arrived.

Whatever cannot be settled (the lookup failed, or the gateway cannot tell) stays *unconfirmed*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from airflow_provider_sms.exceptions import SmsError
from airflow_provider_sms.model.results import SendResult
from airflow_provider_sms.rules.clock import epoch_of_iso
from airflow_provider_sms.sending.journal import ACCEPTED
from airflow_provider_sms.toolkit.fanout import map_bounded

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.model.results import DeliveryStatus
    from airflow_provider_sms.sending.batch import BatchReport, SendRun

#: A message the gateway reports for a number counts as ours when it changed at most this many
#: seconds before our unknown-outcome request started (clock skew between us and the gateway).
RECONCILE_SKEW_SECONDS = 120.0

#: What the gateway's records say of one send of unknown outcome: it landed (accepted), it is
#: absent (never arrived), or it stays unconfirmed.
Attribution = Literal["landed", "absent", "unconfirmed"]


@dataclass
class Reconciliation:
    """What the gateway's records say about sends of unknown outcome.

    :param landed: accepted after all (not to be sent again).
    :param landed_as: the identity of each ``landed`` recipient.
    :param absent: never arrived (safe to send again).
    :param unconfirmed: the gateway cannot tell.
    """

    landed: list[SendResult] = field(default_factory=list)
    landed_as: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)


def _by_recipient(
    hook: SmsHook, recipient: str, started_at: float, ours: Collection[str] = ()
) -> tuple[Attribution, DeliveryStatus | None]:
    try:
        status = hook.get_delivery_status(recipient=recipient)
    except SmsError:
        return "unconfirmed", None
    if status.vendor_state == "not_found" or status.message_id in ours:
        return "absent", None  # nothing, or another row's SMS to that number (sent before ours)
    changed = epoch_of_iso(status.updated_at)
    if changed is not None and changed < started_at - RECONCILE_SKEW_SECONDS:
        return "absent", None  # the latest message to that number predates our request
    return "landed", status


@dataclass(frozen=True)
class Unknown:
    """A recipient whose earlier send has no known outcome: when it left, under which tag.

    :param recipient: its identity in the journal and the report.
    :param number: its E.164 number (default: the identity).
    """

    recipient: str
    at: float
    tag: str | None = None
    number: str = ""

    @property
    def phone(self) -> str:
        """The number the gateway knows it by."""
        return self.number or self.recipient


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
            unknown.append(Unknown(recipient, entry.at or 0.0, entry.tag, run.send.number_of(recipient)))
    return todo, unknown


def _by_tag(
    hook: SmsHook, unknown: Sequence[Unknown], category: str | None, max_concurrency: int
) -> list[tuple[Attribution, DeliveryStatus | None]]:
    tags = list(dict.fromkeys(item.tag for item in unknown if item.tag))

    def listed(tag: str) -> dict[str, DeliveryStatus] | None:
        try:
            return {str(s.recipient): s for s in hook.statuses_by_tag(tag)}
        except SmsError:
            return None

    found = dict(zip(tags, map_bounded(listed, tags, max_concurrency), strict=True))
    attributions: list[tuple[Attribution, DeliveryStatus | None]] = []
    for item in unknown:
        statuses = found.get(item.tag) if item.tag else None
        if statuses is None:
            attributions.append(("unconfirmed", None))
            continue
        status = statuses.get(item.phone)
        changed = epoch_of_iso(status.updated_at) if status is not None else None
        if item.tag == category and changed is not None and changed < item.at - RECONCILE_SKEW_SECONDS:
            status = None  # an older send under the user's run tag, not ours
        attributions.append(("landed", status) if status is not None else ("absent", None))
    return attributions


def reconcile(
    hook: SmsHook,
    unknown: Sequence[Unknown],
    *,
    segments: int | None,
    category: str | None = None,
    max_concurrency: int,
    ours: Mapping[str, Collection[str]] | None = None,
) -> Reconciliation:
    """Ask the gateway about sends of unknown outcome (see the module docstring).

    :param ours: number -> message ids of this send's accepted SMS to it (personalised rows
        sharing a number): the latest message to a number being one of them means the unknown one
        never arrived (the send holds a number's next row while one is unknown, so ours would be
        the latest).
    """
    result = Reconciliation()
    how = hook.capabilities.reconciliation
    attributions: list[tuple[Attribution, DeliveryStatus | None]]
    if how == "by_request_tag":
        attributions = _by_tag(hook, unknown, category, max_concurrency)
    elif how == "by_recipient":
        known = ours or {}
        attributions = map_bounded(
            lambda item: _by_recipient(hook, item.phone, item.at, known.get(item.phone, ())),
            unknown,
            max_concurrency,
        )
    else:
        attributions = [("unconfirmed", None)] * len(unknown)
    for item, (attribution, status) in zip(unknown, attributions, strict=True):
        recipient = item.recipient
        if attribution == "landed" and status is not None:
            result.landed_as.append(recipient)
            result.landed.append(
                SendResult(
                    message_id=str(status.message_id or ""),
                    recipient=item.phone,
                    segments=segments,
                    vendor=hook.conn_type,
                    category=category,
                )
            )
        elif attribution == "absent":
            result.absent.append(recipient)
        else:
            result.unconfirmed.append(recipient)
    return result
