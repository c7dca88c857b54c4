"""The gateway's clock, measured from the ``Date`` header of its replies.

Every reply (both transports, errors included) is an observation: the gateway wrote ``Date`` (whole
seconds, RFC 9110) at some instant between the moment our request left and the moment its reply
arrived, so its clock then read from ``Date`` to ``Date + 1``. The offset (gateway minus local,
seconds) therefore lies in ``[Date - arrived, Date + 1 - left]``; each reply narrows the interval,
and the estimate is its middle, give or take half its width (:class:`ClockReading`).

The estimate places what the gateway reports (a message's creation time) on the local clock where
the retry journal records when each request left (:mod:`airflow_provider_sms.sending.reconcile`).
Any offset is tolerated as long as it is measured; its uncertainty widens every time window.

An interval that becomes empty means the gateway's clock moved (it was set, or it drifts): the
readings start again from the newest reply. No lock: an update lost to a race only forgoes one
reply's narrowing, and a hook with a clock stays copyable.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime

#: ``Date`` has a resolution of one second.
DATE_RESOLUTION = 1.0


@dataclass(frozen=True)
class ClockReading:
    """What is known of the gateway's clock.

    :param offset: gateway time minus local time, in seconds (positive: the gateway is ahead).
    :param uncertainty: the true offset is within this many seconds of ``offset``.
    :param replies: how many replies the reading rests on.
    """

    offset: float
    uncertainty: float
    replies: int

    def to_local(self, gateway_epoch: float) -> float:
        """An instant the gateway reports (epoch seconds on its clock), on the local clock."""
        return gateway_epoch - self.offset


def date_of(header: str | None) -> float | None:
    """Epoch seconds of an HTTP ``Date`` header, ``None`` when absent or unreadable."""
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:  # "-0000" or no zone: not a usable instant
        return None
    return moment.timestamp()


class GatewayClock:
    """The offset of one gateway's clock from the local one (kept on the hook: ``hook.gateway_clock``)."""

    def __init__(self) -> None:
        self._bounds: tuple[float, float] | None = None
        self._replies = 0

    def observe(self, date_header: str | None, left: float, arrived: float) -> None:
        """Record a reply's ``Date`` (the request left at local epoch ``left``, its reply arrived
        at ``arrived``); a missing or unreadable header is ignored."""
        stamped = date_of(date_header)
        if stamped is None or arrived < left:
            return
        low, high = stamped - arrived, stamped + DATE_RESOLUTION - left
        bounds, replies = self._bounds, 1
        if bounds is not None and max(low, bounds[0]) <= min(high, bounds[1]):
            low, high, replies = max(low, bounds[0]), min(high, bounds[1]), self._replies + 1
        # else: the first reply, or the gateway's clock moved: start again from this reply
        self._bounds, self._replies = (low, high), replies

    def reading(self) -> ClockReading | None:
        """The current estimate, ``None`` before any reply with a usable ``Date``."""
        bounds = self._bounds
        if bounds is None:
            return None
        low, high = bounds
        return ClockReading(offset=(low + high) / 2, uncertainty=(high - low) / 2, replies=self._replies)
