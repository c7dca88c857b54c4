"""What a dry run returns instead of sending: counts, cost, schedule, and the numbers it would skip."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.rules.numbers import mask_number

if TYPE_CHECKING:
    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.rules.guards import GuardedSend
    from airflow_provider_sms.rules.request import ValidatedSend

#: Rendered texts a personalised dry run shows (numbers masked).
SAMPLES = 3


def dry_run_summary(hook: SmsHook, guarded: GuardedSend, *, show_texts: bool = True) -> dict[str, Any]:
    """What a send would do, JSON-ready: counts, cost, schedule, and the numbers it would skip
    (masked). A personalised send adds how its texts travel and a few of them (``show_texts``),
    each with its number masked."""
    validated, credits = guarded.send, guarded.credits
    estimate = guarded.estimate
    assert estimate is not None  # the budget guard ran
    send_at = validated.send_at
    size = max(1, hook.max_recipients_per_send)
    requests = -(-estimate.recipients // size)
    if validated.rows is not None:  # planned by text (and a number once per request)
        requests = len(validated.plan(validated.recipients, size, hook.capabilities.max_texts_per_request))
    summary = {
        "dry_run": True,
        "gateway": hook.hook_name,
        "recipients": estimate.recipients,
        "requests": requests,
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
    if validated.labels is not None:
        summary.update(personalised_summary(validated, show_texts=show_texts))
    return summary


def personalised_summary(send: ValidatedSend, *, show_texts: bool = True) -> dict[str, Any]:
    """A personalised send's texts: SMS per segment count and per encoding, distinct texts, rows
    merged, and the first :data:`SAMPLES` rendered texts with their numbers masked (texts
    ``"***"`` unless ``show_texts``)."""
    assert send.labels is not None
    assert send.rows is not None
    labels, rows = send.labels, send.rows
    samples = []
    for identity in send.recipients[:SAMPLES]:
        label = labels[identity]
        number, text = rows[identity]
        samples.append(
            {
                "recipient": mask_number(number),
                "key": label.key,
                "position": label.position,
                "segments": label.segments,
                "encoding": label.encoding,
                "text": text if show_texts else "***",
            }
        )
    by_segments = Counter(label.segments for label in labels.values())
    return {
        "personalised": True,
        "segments_distribution": {str(n): by_segments[n] for n in sorted(by_segments)},
        "encodings": dict(Counter(label.encoding for label in labels.values())),
        "distinct_texts": len({text for _, text in rows.values()}),
        "merged": len(send.merged),
        "samples": samples,
    }
