"""What a dry run returns instead of sending: counts, cost, schedule, and the numbers it would skip."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.rules.guards import GuardedSend


def dry_run_summary(hook: SmsHook, guarded: GuardedSend) -> dict[str, Any]:
    """What a send would do, JSON-ready: counts, cost, schedule, and the numbers it would skip (masked)."""
    validated, credits = guarded.send, guarded.credits
    estimate = guarded.estimate
    assert estimate is not None  # the budget guard ran
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
        # counts only, never the text (unsupported_characters="replace")
        "replaced_characters": dict(validated.replaced_characters or {}),
        "replaced_count": sum((validated.replaced_characters or {}).values()),
    }
