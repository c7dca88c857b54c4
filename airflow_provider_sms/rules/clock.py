"""Time conversions for what gateways reply: epochs, ISO 8601 text, ids that hold a time. Pure."""

from __future__ import annotations

import re
from datetime import datetime, timezone


def epoch_of_object_id(value: object) -> float | None:
    """Creation time (epoch seconds) held by a 24-hex Mongo-style id's first 8 digits, else ``None``."""
    text = str(value or "")
    if not re.fullmatch(r"[0-9a-fA-F]{24}", text):
        return None
    return float(int(text[:8], 16))


def iso_from_epoch(epoch: float | None) -> str | None:
    """ISO 8601 UTC text of an epoch, ``None`` stays ``None``."""
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def as_aware(value: datetime | str | None) -> datetime | None:
    """An aware datetime from a datetime or ISO text (naive means UTC)."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def epoch_of_iso(text: str | None) -> float | None:
    """Epoch seconds of ISO 8601 text (``Z`` accepted, naive means UTC); ``None`` when unreadable."""
    try:
        moment = as_aware(text)
    except ValueError:
        return None
    return moment.timestamp() if moment is not None else None
