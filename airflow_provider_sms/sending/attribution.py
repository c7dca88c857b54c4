"""Whose message is it? The pure decisions of reconciliation (no I/O).

A send of unknown outcome either *landed* (the gateway has a message this request created: its
id is returned), is *absent* (the gateway has none: sent again) or stays *unconfirmed* (the records
cannot tell: never sent again blindly, never reported sent). Each rule below says which, from what
the gateway's records show and from the request's :class:`Window`.

* **By recipient** (:func:`by_creation`): the gateway names the latest message to the number, with
  its id and creation time. Created inside the window (on the gateway's clock, measured, its
  uncertainty added to both ends) and not one of the ids this task already holds: ours, landed.
  Created before the window, or no message at all: ours never arrived (it would be the latest),
  absent. Created after the window: a later message hides whatever ours did, unconfirmed.
* **By the task's figures** (:func:`cross_checked`): the count of messages under the task's own
  category, beyond those the journal holds as accepted, is how many of the unknown sends landed.
  None: every one is absent, whatever the times say; fewer than the times suggest: the times
  matched someone else's message, so those are unconfirmed.
* **By request tag** (:func:`by_listing`): a tag carried by one request only lists exactly the
  numbers that request got accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from airflow_provider_sms.hooks.gateway import LatestMessage
    from airflow_provider_sms.hooks.gateway_clock import ClockReading
    from airflow_provider_sms.model.results import DeliveryStatus

#: What the gateway's records say of one send of unknown outcome.
Attribution = Literal["landed", "absent", "unconfirmed"]

#: Beyond this uncertainty (seconds) of the gateway's clock, no time is trusted to place a message.
MAX_CLOCK_UNCERTAINTY = 10.0
#: A scheduled message is reported created at its schedule (A54): within this many seconds of the
#: schedule a request asked for, it is that request's.
SCHEDULE_MATCH_SECONDS = 1.0


@dataclass(frozen=True)
class Window:
    """When one request's message can have been created, on the local clock (epoch seconds).

    :param start: the request cannot have left before (its intent was durable, or it started).
    :param end: whatever it made is in the gateway's records by then (the settle time).
    :param scheduled: the epoch the request scheduled its message for (``None``: not scheduled).
    """

    start: float
    end: float
    scheduled: float | None = None


@dataclass(frozen=True)
class Verdict:
    """The attribution of one send of unknown outcome.

    :param message_id: the id of the message it created (``landed`` only).
    :param reason: why it stays unconfirmed (for the report; never a number).
    """

    attribution: Attribution
    message_id: str | None = None
    reason: str = ""


ABSENT = Verdict("absent")


def unconfirmed(reason: str) -> Verdict:
    """A verdict that the records cannot tell, and why."""
    return Verdict("unconfirmed", reason=reason)


def _placed(message: LatestMessage, window: Window, clock: ClockReading | None) -> str | None:
    """Where the message's creation falls: ``before``, ``inside`` or ``after`` the window
    (``inside`` also for a scheduled message created at the request's schedule); ``None`` when
    no time can be trusted."""
    created = message.created_at
    if created is None:
        return None
    if window.scheduled is not None and abs(created - window.scheduled) <= SCHEDULE_MATCH_SECONDS:
        return "inside"
    if clock is None or clock.uncertainty > MAX_CLOCK_UNCERTAINTY:
        return None
    local, slack = clock.to_local(created), clock.uncertainty
    if local < window.start - slack:
        return "before"
    return "inside" if local <= window.end + slack else "after"


def by_creation(
    message: LatestMessage | None,
    window: Window,
    clock: ClockReading | None,
    known_ids: Collection[str],
) -> Verdict:
    """Attribute the latest message to a number (see the module docstring).

    :param known_ids: every message id this task already holds (none of them is the lost one).
    """
    if message is None:
        return ABSENT
    where = _placed(message, window, clock)
    if where is None:
        return unconfirmed("the gateway's clock or the message's time could not be read")
    if where == "before":
        return ABSENT
    if where == "after":
        return unconfirmed("a later message to this number hides whether the lost send arrived")
    if message.message_id is None:
        return unconfirmed("the gateway named no id for the message it holds")
    if message.message_id in known_ids:
        return unconfirmed("the latest message to this number is another send of this task")
    return Verdict("landed", message.message_id)


def cross_checked(verdicts: Sequence[Verdict], landed_beyond_known: int | None) -> list[Verdict]:
    """Verdicts corrected by the task's figures: ``landed_beyond_known`` messages of its own
    category beyond those it holds as accepted (``None``: no usable figures)."""
    if landed_beyond_known is None:
        return list(verdicts)
    if landed_beyond_known == 0:
        return [ABSENT] * len(verdicts)
    landed = sum(1 for v in verdicts if v.attribution == "landed")
    if landed <= landed_beyond_known:
        return list(verdicts)
    reason = "the task's figures count fewer of its messages than the times point to"
    return [unconfirmed(reason) if v.attribution == "landed" else v for v in verdicts]


def by_listing(phone: str, listed: Mapping[str, DeliveryStatus] | None) -> Verdict:
    """Attribute a number by what its request's own tag lists (``None``: the list could not be read)."""
    if listed is None:
        return unconfirmed("the gateway could not list the request's tag")
    status = listed.get(phone)
    return ABSENT if status is None else Verdict("landed", status.message_id)
