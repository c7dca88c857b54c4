"""The guards a send passes before any request, in one list, for every door (the send operator,
the hook's batch send, the notifier).

:data:`GUARDS` runs in order over a validated send:

1. **marketing window**: a marketing send outside the window (default: the French one) is moved to
   its next opening, refused or let through, as ``outside_marketing_hours`` says;
2. **spend budget**: the send's estimate (recipients x segments x the gateway's price per segment)
   against ``max_segments`` and ``max_credits``;
3. **account credits**: for a send to more than ``check_credits_above`` recipients, the account's
   credits are read (through the caller's ``read_credits``) and a send they cannot cover is
   refused, so nothing is half sent.

A new guard is a function ``(GuardedSend) -> GuardedSend`` added to :data:`GUARDS`; it refuses by
raising. The estimate is the provider's; the gateway's own figures (``credits_used`` of each
result) are authoritative.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_sms.exceptions import SmsInsufficientCreditError, SmsValidationError
from airflow_provider_sms.rules.marketing import (
    FRENCH_MARKETING_WINDOW,
    OUTSIDE_MARKETING_HOURS,
    MarketingWindow,
    apply_window,
    window_problems,
)
from airflow_provider_sms.rules.options import choice_problems, flag_problems, limit_problems
from airflow_provider_sms.rules.schedule import utc_now

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from airflow_provider_sms.rules.marketing import OutsideMarketingHours
    from airflow_provider_sms.rules.request import ValidatedSend

log = logging.getLogger(__name__)

#: Recipients above which the account's credits are read before sending.
DEFAULT_CHECK_CREDITS_ABOVE = 100


class GuardedGateway(Protocol):
    """What the guards need of the gateway (every SMS hook has it)."""

    sms_conn_id: str

    @property
    def hook_name(self) -> str: ...

    @property
    def price_per_segment(self) -> float | None: ...

    @property
    def credit_unit(self) -> str: ...

    def schedule_problems(self, when: datetime) -> list[str]: ...


@dataclass(frozen=True)
class SpendEstimate:
    """What a send will cost.

    :param recipients: SMS to send.
    :param segments_per_sms: SMS segments each one takes (a personalised send: the most any takes).
    :param cost: estimated total, in ``unit`` (``None``: the gateway's price is unknown).
    :param unit: the unit of ``cost`` and of the account's credits.
    :param total_segments: SMS segments in all, where each SMS has its own text (``None``: one
        text, ``recipients x segments_per_sms``).
    """

    recipients: int
    segments_per_sms: int
    cost: float | None
    unit: str
    total_segments: int | None = None

    @property
    def segments(self) -> int:
        """SMS segments in all."""
        if self.total_segments is not None:
            return self.total_segments
        return self.recipients * self.segments_per_sms

    @classmethod
    def of(
        cls, gateway: GuardedGateway, send: ValidatedSend, recipients: int | Sequence[str] | None = None
    ) -> SpendEstimate:
        """The estimate for ``recipients`` SMS (default: all of the send's; a count, or which
        ones, for a personalised send whose SMS differ in length) on ``gateway``."""
        per_sms = send.segments.segments
        price = gateway.price_per_segment
        if send.labels is None or isinstance(recipients, int):  # one text (or a count: the longest)
            count = len(send.recipients) if recipients is None else recipients
            size = count if isinstance(count, int) else len(count)
            cost = round(size * per_sms * price, 6) if price is not None else None
            return cls(size, per_sms, cost, gateway.credit_unit)
        which = send.recipients if recipients is None else recipients
        total = send.segments_in(which)
        cost = round(total * price, 6) if price is not None else None
        return cls(len(which), per_sms, cost, gateway.credit_unit, total)

    def describe(self) -> str:
        """The figures in words (no number, no text)."""
        cost = f", about {self.cost:g} {self.unit}" if self.cost is not None else ""
        if self.total_segments is not None:
            return (
                f"{self.recipients} SMS of their own, {self.segments} segment(s) in all "
                f"(up to {self.segments_per_sms} each){cost}"
            )
        return (
            f"{self.recipients} recipient(s) x {self.segments_per_sms} segment(s) = "
            f"{self.segments} segment(s){cost}"
        )


@dataclass(frozen=True)
class SendGuards:
    """Every guard's settings.

    :param outside_marketing_hours: a marketing send outside ``marketing_window``:
        ``"schedule"`` (at the next opening), ``"fail"`` or ``"allow"``.
    :param marketing_window: default :data:`~airflow_provider_sms.rules.marketing.FRENCH_MARKETING_WINDOW`.
    :param max_segments: most SMS segments the whole send may take (``None``: no limit).
    :param max_credits: most it may cost, in the gateway's credit unit (``None``: no limit).
    :param check_credits: read the account's credits first and refuse a send they cannot cover.
    :param check_credits_above: ... only for sends to more than this many recipients (``None``:
        never; ``0``: always).
    """

    outside_marketing_hours: OutsideMarketingHours | str = "schedule"
    marketing_window: MarketingWindow | None = None
    max_segments: int | None = None
    max_credits: float | None = None
    check_credits: bool = True
    check_credits_above: int | None = DEFAULT_CHECK_CREDITS_ABOVE

    def problems(self, *, marketing: bool = False) -> list[str]:
        """What is wrong with the guards' own settings; for a ``marketing`` send, also a holiday
        rule the ``holidays`` package cannot apply (so it is reported with the send's other
        problems, not after them)."""
        problems = [
            *choice_problems(
                "outside_marketing_hours", self.outside_marketing_hours, OUTSIDE_MARKETING_HOURS
            ),
            *window_problems(self.marketing_window),
            *limit_problems("max_segments", self.max_segments, minimum=1, integer=True),
            *limit_problems("max_credits", self.max_credits, minimum=0, integer=False),
            *flag_problems("check_credits", self.check_credits),
            *limit_problems("check_credits_above", self.check_credits_above, minimum=0, integer=True),
        ]
        if marketing and not problems:
            try:
                (self.marketing_window or FRENCH_MARKETING_WINDOW).holiday(utc_now().date())
            except SmsValidationError as exc:
                problems.extend(exc.problems)
        return problems

    def wants_credits(self, recipients: int) -> bool:
        """Whether a send to ``recipients`` numbers reads the account's credits first."""
        above = self.check_credits_above
        return self.check_credits is True and above is not None and recipients > above

    def check(
        self,
        send: ValidatedSend,
        gateway: GuardedGateway,
        *,
        now: datetime | None = None,
        recipients: int | Sequence[str] | None = None,
        read_credits: Callable[[], Any] | None = None,
    ) -> GuardedSend:
        """Run :data:`GUARDS` over ``send``; return it (maybe moved) with its estimate.

        :param recipients: SMS still to send (a retry: those earlier tries did not send), as a
            count or as the recipients themselves; default all.
        :param read_credits: reads the account's credits; ``None``: the credit guard does not run.
        :raises SmsValidationError: a guard refused the send (every refusal at once).
        :raises SmsInsufficientCreditError: the account cannot cover the send.
        """
        guarded = GuardedSend(send, gateway, self, utc_now(now), recipients, read_credits)
        for guard in GUARDS:
            guarded = guard(guarded)
        return guarded


@dataclass(frozen=True)
class GuardedSend:
    """A send on its way through the guards, and what they found.

    :param credits: the account's credits, where the credit guard read them.
    """

    send: ValidatedSend
    gateway: GuardedGateway
    guards: SendGuards
    now: datetime
    recipients: int | Sequence[str] | None = None
    read_credits: Callable[[], Any] | None = None
    estimate: SpendEstimate | None = None
    credits: float | None = None


def marketing_window(guarded: GuardedSend) -> GuardedSend:
    """A marketing send outside the window: moved to its next opening, refused, or let through."""
    send, guards = guarded.send, guarded.guards
    if not send.request.marketing:
        return guarded
    when = send.send_at
    moved, refusals, note = apply_window(
        when,
        guarded.now,
        window=guards.marketing_window or FRENCH_MARKETING_WINDOW,
        outside=guards.outside_marketing_hours,
    )
    if refusals:
        raise SmsValidationError(refusals)
    if moved is not None and moved != when:
        moved = first_accepted(guarded.gateway, moved)
    request = replace(send.request, send_at=moved)
    checked = replace(send, request=request, marketing_note=note or send.marketing_note)
    return replace(guarded, send=checked)


def spend_budget(guarded: GuardedSend) -> GuardedSend:
    """The whole send's estimate against ``max_segments`` and ``max_credits``."""
    guards, gateway = guarded.guards, guarded.gateway
    estimate = SpendEstimate.of(gateway, guarded.send)
    problems = []
    if guards.max_segments is not None and estimate.segments > guards.max_segments:
        problems.append(
            f"max_segments: the send needs {estimate.describe()}, over the limit of "
            f"{guards.max_segments}; nothing was sent"
        )
    if guards.max_credits is not None:
        if estimate.cost is None:
            problems.append(
                f"max_credits: {gateway.hook_name}'s price per segment is unknown, so the cost cannot "
                "be checked; use max_segments instead"
            )
        elif estimate.cost > guards.max_credits + 1e-9:
            problems.append(
                f"max_credits: the send needs {estimate.describe()}, over the limit of "
                f"{guards.max_credits:g} {estimate.unit}; nothing was sent"
            )
    if problems:
        raise SmsValidationError(problems)
    return replace(guarded, estimate=estimate)


def account_credits(guarded: GuardedSend) -> GuardedSend:
    """Read the account's credits for a large enough send; refuse one they cannot cover."""
    gateway = guarded.gateway
    needed = SpendEstimate.of(gateway, guarded.send, guarded.recipients)
    if guarded.read_credits is None or not guarded.guards.wants_credits(needed.recipients):
        return guarded
    credits = guarded.read_credits()
    if not isinstance(credits, (int, float)) or isinstance(credits, bool):
        log.warning("%s did not report the account's credits; the credit check is skipped", gateway.hook_name)
        return guarded
    if needed.cost is None:
        log.warning("%s's price per segment is unknown; the credit check is skipped", gateway.hook_name)
    elif needed.cost > credits + 1e-9:
        raise SmsInsufficientCreditError(
            f"Not enough credit on {gateway.hook_name} (connection '{gateway.sms_conn_id}'): the send needs "
            f"{needed.describe()}, the account has {credits:g} {needed.unit}; nothing was sent "
            "(add credit, send fewer, or check_credits=False)",
            conn_id=gateway.sms_conn_id,
        )
    else:
        log.info(
            "Credits: %g %s left on %s, the send needs about %g",
            credits,
            needed.unit,
            gateway.hook_name,
            needed.cost,
        )
    return replace(guarded, credits=float(credits))


#: The guards, in the order they run.
GUARDS: tuple[Callable[[GuardedSend], GuardedSend], ...] = (marketing_window, spend_budget, account_credits)


def first_accepted(gateway: GuardedGateway, when: datetime) -> datetime:
    """The first minute at or after ``when`` the gateway's schedule rules accept (its step)."""
    start = when.replace(second=0, microsecond=0)
    start = start if start == when else start + timedelta(minutes=1)
    for minute in range(60):
        candidate = start + timedelta(minutes=minute)
        if not gateway.schedule_problems(candidate):
            return candidate
    return when
