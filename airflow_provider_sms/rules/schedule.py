"""When to send: ``send_at`` parsed to aware UTC, and the checks every gateway applies to it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow_provider_sms.rules.text import shorten


def parse_send_at(send_at: object) -> datetime | None:
    """Return ``send_at`` as an aware UTC :class:`~datetime.datetime` (``None`` stays ``None``).

    Accepts an aware ``datetime`` (pendulum's included) or ISO-8601 text with an offset or ``Z``.

    :raises ValueError: naive, unparseable or of another type.
    """
    if send_at is None:
        return None
    if isinstance(send_at, datetime):
        value = send_at
    elif isinstance(send_at, str):
        text = send_at.strip()
        text = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"send_at {shorten(send_at)!r} is not an ISO-8601 date-time (e.g. '2030-01-31T09:00:00+01:00')"
            ) from None
    else:
        raise ValueError(f"send_at must be a datetime or an ISO-8601 string, got {type(send_at).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"send_at {value.isoformat()} has no timezone; give an aware datetime "
            "(e.g. pendulum.datetime(..., tz='Europe/Paris')) or an ISO-8601 offset such as +01:00 or Z"
        )
    try:
        utc = value.astimezone(timezone.utc)  # plain datetime even for a pendulum DateTime
    except (OverflowError, ValueError):
        raise ValueError(f"send_at {shorten(str(send_at))!r} is out of range") from None
    return datetime.combine(utc.date(), utc.time(), tzinfo=timezone.utc)


def utc_now(now: datetime | None = None) -> datetime:
    """``now`` as aware UTC (naive is read as UTC), or the clock's time."""
    if now is None:
        return datetime.now(timezone.utc)
    return now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)


#: Furthest ahead a send may be scheduled (neither gateway publishes a limit; an assumption that also
#: keeps every later date computation in range).
MAX_SCHEDULE_DAYS = 366


def send_at_problems(send_at: object, now: datetime | None = None) -> list[str]:
    """List what is wrong with ``send_at``: unparseable, naive, not strictly after ``now``, or more
    than :data:`MAX_SCHEDULE_DAYS` ahead."""
    try:
        when = parse_send_at(send_at)
    except ValueError as exc:
        return [str(exc)]
    current = utc_now(now)
    if when is not None and when <= current:
        return [
            f"send_at {when:%Y-%m-%dT%H:%M:%SZ} is not in the future (now is {current:%Y-%m-%dT%H:%M:%SZ})"
        ]
    if when is not None and when - current > timedelta(days=MAX_SCHEDULE_DAYS):
        return [f"send_at {when:%Y-%m-%dT%H:%M:%SZ} is more than {MAX_SCHEDULE_DAYS} days ahead"]
    return []


def step_problems(when: datetime, step_minutes: int, gateway: str) -> list[str]:
    """What is wrong with ``when`` on a gateway that schedules on ``step_minutes``-minute steps."""
    if step_minutes <= 1 or not (when.minute % step_minutes or when.second or when.microsecond):
        return []
    return [
        f"send_at {when:%Y-%m-%dT%H:%M:%S}Z: {gateway} schedules on {step_minutes}-minute steps, so it "
        f"must fall on :00, :{step_minutes:02d}, ... exactly"
    ]
