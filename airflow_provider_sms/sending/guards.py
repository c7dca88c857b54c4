"""Spend guards, checked before any send request: the caller's budget (segments, credits), the
account's remaining credits, and the summary a dry run returns instead of sending.

A send costs recipients x segments per SMS x the gateway's price per segment
(``hook.capabilities.price_per_segment``, in ``capabilities.credit_unit``). The estimate is the
provider's; the gateway's own figures (``credits_used`` of each result) are authoritative.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import SmsInsufficientCreditError, SmsValidationError
from airflow_provider_sms.rules.options import flag_problems, limit_problems

if TYPE_CHECKING:
    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.rules.request import ValidatedSend

log = logging.getLogger(__name__)

#: Recipients above which the account's credits are read before sending.
DEFAULT_CHECK_CREDITS_ABOVE = 100


@dataclass(frozen=True)
class SpendEstimate:
    """What a send will cost.

    :param recipients: numbers to send to.
    :param segments_per_sms: SMS segments each one takes.
    :param cost: estimated total, in ``unit`` (``None``: the gateway's price is unknown).
    :param unit: the unit of ``cost`` and of the account's credits.
    """

    recipients: int
    segments_per_sms: int
    cost: float | None
    unit: str

    @property
    def segments(self) -> int:
        """SMS segments in all."""
        return self.recipients * self.segments_per_sms

    @classmethod
    def of(cls, hook: SmsHook, validated: ValidatedSend, recipients: int | None = None) -> SpendEstimate:
        """The estimate for ``recipients`` numbers (default: all of the send's) on ``hook``'s gateway."""
        count = len(validated.recipients) if recipients is None else recipients
        per_sms = validated.segments.segments
        price = hook.capabilities.price_per_segment
        cost = round(count * per_sms * price, 6) if price is not None else None
        return cls(count, per_sms, cost, hook.capabilities.credit_unit)

    def describe(self) -> str:
        """The figures in words (no number, no text)."""
        cost = f", about {self.cost:g} {self.unit}" if self.cost is not None else ""
        return (
            f"{self.recipients} recipient(s) x {self.segments_per_sms} segment(s) = "
            f"{self.segments} segment(s){cost}"
        )


@dataclass(frozen=True)
class SpendGuard:
    """The limits a send must stay within.

    :param max_segments: most SMS segments the whole send may take (``None``: no limit).
    :param max_credits: most it may cost, in the gateway's credit unit (``None``: no limit).
    :param check_credits: read the account's credits first and refuse a send they cannot cover.
    :param check_credits_above: ... only for sends to more than this many recipients (``None``:
        never; ``0``: always).
    """

    max_segments: int | None = None
    max_credits: float | None = None
    check_credits: bool = True
    check_credits_above: int | None = DEFAULT_CHECK_CREDITS_ABOVE

    def problems(self) -> list[str]:
        """What is wrong with the guard's own settings."""
        return [
            *limit_problems("max_segments", self.max_segments, minimum=1, integer=True),
            *limit_problems("max_credits", self.max_credits, minimum=0, integer=False),
            *flag_problems("check_credits", self.check_credits),
            *limit_problems("check_credits_above", self.check_credits_above, minimum=0, integer=True),
        ]

    def check_budget(self, hook: SmsHook, validated: ValidatedSend) -> SpendEstimate:
        """Estimate the whole send; raise :class:`SmsValidationError` when it is over budget."""
        estimate = SpendEstimate.of(hook, validated)
        problems = []
        if self.max_segments is not None and estimate.segments > self.max_segments:
            problems.append(
                f"max_segments: the send needs {estimate.describe()}, over the limit of "
                f"{self.max_segments}; nothing was sent"
            )
        if self.max_credits is not None:
            if estimate.cost is None:
                problems.append(
                    f"max_credits: {hook.hook_name}'s price per segment is unknown, so the cost cannot "
                    "be checked; use max_segments instead"
                )
            elif estimate.cost > self.max_credits + 1e-9:
                problems.append(
                    f"max_credits: the send needs {estimate.describe()}, over the limit of "
                    f"{self.max_credits:g} {estimate.unit}; nothing was sent"
                )
        if problems:
            raise SmsValidationError(problems)
        return estimate

    def wants_credits(self, recipients: int) -> bool:
        """Whether a send to ``recipients`` numbers reads the account's credits first."""
        above = self.check_credits_above
        return self.check_credits and above is not None and recipients > above

    def check_account(self, hook: SmsHook, estimate: SpendEstimate) -> float | None:
        """Read the account's credits when the send is large enough, and refuse one they cannot
        cover, so nothing is half sent. Returns the credits read (``None``: not read or unknown)."""
        if not self.wants_credits(estimate.recipients):
            return None
        credits = hook.get_account_stats().get("credits")
        if not isinstance(credits, (int, float)) or isinstance(credits, bool):
            log.warning(
                "%s did not report the account's credits; the credit check is skipped", hook.hook_name
            )
            return None
        if estimate.cost is None:
            log.warning("%s's price per segment is unknown; the credit check is skipped", hook.hook_name)
            return float(credits)
        if estimate.cost > credits + 1e-9:
            raise SmsInsufficientCreditError(
                f"Not enough credit on {hook.hook_name} (connection '{hook.sms_conn_id}'): the send needs "
                f"{estimate.describe()}, the account has {credits:g} {estimate.unit}; nothing was sent "
                "(add credit, send fewer, or check_credits=False)",
                conn_id=hook.sms_conn_id,
            )
        log.info(
            "Credits: %g %s left on %s, the send needs about %g",
            credits,
            estimate.unit,
            hook.hook_name,
            estimate.cost,
        )
        return float(credits)


def dry_run_summary(
    hook: SmsHook, validated: ValidatedSend, estimate: SpendEstimate, credits: float | None
) -> dict[str, Any]:
    """What a send would do, JSON-ready: counts, cost, schedule, and the numbers it would skip (masked)."""
    send_at = validated.send_at
    size = max(1, hook.max_recipients_per_send)
    return {
        "dry_run": True,
        "gateway": hook.hook_name,
        "recipients": estimate.recipients,
        "requests": -(-estimate.recipients // size),
        "segments_per_sms": estimate.segments_per_sms,
        "encoding": validated.segments.encoding,
        "segments": estimate.segments,
        "estimated_cost": estimate.cost,
        "cost_unit": estimate.unit,
        "credits_available": credits,
        "send_at": send_at.strftime("%Y-%m-%dT%H:%M:%SZ") if send_at is not None else None,
        "marketing_note": validated.marketing_note,
        "duplicates": validated.duplicates,
        "invalid": [dict(item) for item in validated.invalid],
    }
