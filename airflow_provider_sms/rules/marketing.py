"""When a marketing SMS may go out: a weekly window in a time zone, closed on public holidays.

The default, :data:`FRENCH_MARKETING_WINDOW`, is the French rule for commercial SMS: Monday to
Saturday, 08:00 to 20:00 Europe/Paris, never on a Sunday or a French public holiday. Holidays
come from the ``holidays`` package, imported on first use only. Transactional sends are not
concerned. ``docs/compliance.md`` explains the rule and how to change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from airflow_provider_sms.exceptions import SmsValidationError

#: What a marketing send outside the window does: wait for the next opening (the gateway's own
#: scheduling), fail before any request, or go out anyway.
OutsideMarketingHours = Literal["schedule", "fail", "allow"]
OUTSIDE_MARKETING_HOURS: tuple[str, ...] = ("schedule", "fail", "allow")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Days searched for an opening before giving up (a window that never opens is refused).
_SEARCH_DAYS = 400


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    import holidays  # lazy: importing the operators stays cheap

    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:
        where = f"{country}/{subdivision}" if subdivision else country
        raise SmsValidationError(
            [f"marketing_window: holiday_country {where!r} is unknown to the holidays package"]
        ) from None
    return {day: str(name) for day, name in found.items()}


@dataclass(frozen=True)
class MarketingWindow:
    """When marketing SMS may be sent.

    :param timezone: IANA time zone the hours are read in.
    :param open: first minute of the day a send may go out (inclusive).
    :param close: the window closes at this time (exclusive): 20:00 means 19:59 is the last minute.
    :param days: weekdays the window opens (Monday 0 ... Sunday 6).
    :param holiday_country: ISO country code whose public holidays close the window (``holidays``
        package); ``None`` for no holiday rule.
    :param holiday_subdivision: optional region of that country (e.g. ``"57"`` for Moselle).
    """

    timezone: str = "Europe/Paris"
    open: time = time(8, 0)
    close: time = time(20, 0)
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    holiday_country: str | None = "FR"
    holiday_subdivision: str | None = None

    def __post_init__(self) -> None:
        problems = window_problems(self)
        if problems:
            raise SmsValidationError(problems)
        object.__setattr__(self, "days", tuple(sorted(set(self.days))))

    @property
    def zone(self) -> ZoneInfo:
        """The window's time zone (``ZoneInfo`` caches its instances)."""
        return ZoneInfo(self.timezone)

    def holiday(self, day: date) -> str | None:
        """The name of the public holiday on ``day`` (local date), or ``None``."""
        if self.holiday_country is None:
            return None
        return _holidays(self.holiday_country, self.holiday_subdivision, day.year).get(day)

    def closed_reason(self, when: datetime) -> str | None:
        """Why the window is closed at ``when`` (aware), or ``None`` when it is open."""
        local = when.astimezone(self.zone)
        day = local.date()
        if local.weekday() not in self.days:
            return DAY_NAMES[local.weekday()]
        holiday = self.holiday(day)
        if holiday is not None:
            return f"public holiday ({holiday})"
        if local.time() < self.open:
            return f"before {self.open:%H:%M}"
        if local.time() >= self.close:
            return f"from {self.close:%H:%M}"
        return None

    def is_open(self, when: datetime) -> bool:
        """Whether a marketing SMS may go out at ``when`` (aware)."""
        return self.closed_reason(when) is None

    def next_opening(self, when: datetime) -> datetime:
        """``when`` itself (in UTC) if the window is open then, else the next opening, in UTC."""
        if self.is_open(when):
            return when.astimezone(timezone.utc)
        local = when.astimezone(self.zone)
        for offset in range(_SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            if day.weekday() not in self.days or self.holiday(day) is not None:
                continue
            if offset == 0 and local.time() >= self.open:
                continue  # today's window has closed already
            opening = datetime.combine(day, self.open, tzinfo=self.zone)
            return opening.astimezone(timezone.utc)
        raise SmsValidationError([f"marketing_window never opens in the next {_SEARCH_DAYS} days"])

    def describe(self) -> str:
        """The window in words, for errors and logs."""
        days = ", ".join(DAY_NAMES[d][:3] for d in self.days)
        holidays = f", closed on {self.holiday_country} public holidays" if self.holiday_country else ""
        return f"{days} {self.open:%H:%M}-{self.close:%H:%M} {self.timezone}{holidays}"


def window_problems(window: object) -> list[str]:
    """What is wrong with a marketing window (``None`` means the French default)."""
    if window is None:
        return []
    if not isinstance(window, MarketingWindow):
        return [f"marketing_window must be a MarketingWindow, got {type(window).__name__}"]
    problems = []
    try:
        ZoneInfo(window.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        problems.append(f"marketing_window.timezone {window.timezone!r} is not an IANA time zone")
    if not (isinstance(window.open, time) and isinstance(window.close, time)):
        problems.append("marketing_window.open and .close must be datetime.time values")
    elif window.open >= window.close:
        problems.append(f"marketing_window.open ({window.open}) must be before close ({window.close})")
    days = window.days
    if (
        not isinstance(days, (tuple, list, set, frozenset, range))
        or not days
        or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days)
    ):
        problems.append("marketing_window.days must list weekdays from 0 (Monday) to 6 (Sunday)")
    return problems


#: French rule for commercial SMS: Monday to Saturday 08:00-20:00 Paris time, not on holidays.
FRENCH_MARKETING_WINDOW = MarketingWindow()


def apply_window(
    when: datetime | None,
    now: datetime,
    *,
    window: MarketingWindow,
    outside: OutsideMarketingHours | str,
) -> tuple[datetime | None, list[str], str | None]:
    """Apply the window to a marketing send at ``when`` (``None``: now).

    :returns: the schedule to use (``None``: send now), the problems (``outside="fail"``) and a
        note for the logs when the window was closed.
    """
    moment = when or now
    reason = window.closed_reason(moment)
    if reason is None:
        return when, [], None
    local = moment.astimezone(window.zone)
    opening = window.next_opening(moment)
    shown = f"{local:%A %Y-%m-%d %H:%M} {window.timezone} is outside the marketing window ({reason})"
    next_local = f"{opening.astimezone(window.zone):%A %Y-%m-%d %H:%M}"
    if outside == "fail":
        return when, [f"marketing=True: {shown} ({window.describe()}); next opening {next_local}"], None
    if outside == "allow":
        return when, [], f"{shown}; sent anyway (outside_marketing_hours='allow')"
    return opening, [], f"{shown}; scheduled for the next opening, {next_local}"
