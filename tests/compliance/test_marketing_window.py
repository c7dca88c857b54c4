"""The marketing window on its own (no request): French hours, Sundays, holidays, the edges of the
day, DST, a custom window, and what validation does with a marketing send outside it."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks import get_sms_hook
from airflow_provider_sms.rules.marketing import FRENCH_MARKETING_WINDOW, MarketingWindow, window_problems

PARIS = ZoneInfo("Europe/Paris")
W = FRENCH_MARKETING_WINDOW


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("moment", "reason", "opening"),
    [
        (paris(2027, 3, 7, 10, 0), "Sunday", paris(2027, 3, 8, 8, 0)),
        (paris(2027, 7, 14, 12, 0), "public holiday (National Day)", paris(2027, 7, 15, 8, 0)),
        (paris(2027, 7, 16, 19, 59), None, paris(2027, 7, 16, 19, 59)),
        (paris(2027, 7, 16, 20, 0), "from 20:00", paris(2027, 7, 17, 8, 0)),
        (paris(2027, 7, 16, 7, 59), "before 08:00", paris(2027, 7, 16, 8, 0)),
        (paris(2027, 7, 16, 8, 0), None, paris(2027, 7, 16, 8, 0)),
        (paris(2027, 7, 17, 20, 0), "from 20:00", paris(2027, 7, 19, 8, 0)),  # Saturday night -> Monday
        (paris(2027, 3, 28, 10, 0), "Sunday", paris(2027, 3, 30, 8, 0)),  # DST day, then Easter Monday
        (paris(2026, 12, 24, 21, 0), "from 20:00", paris(2026, 12, 26, 8, 0)),  # Christmas skipped
        (
            paris(2027, 5, 1, 9, 0),
            "public holiday (Labor Day)",
            paris(2027, 5, 3, 8, 0),
        ),  # Sat 1 May, then Sun
    ],
)
def test_french_window(moment, reason, opening):
    assert W.closed_reason(moment) == reason
    assert W.is_open(moment) is (reason is None)
    assert W.next_opening(moment) == opening.astimezone(timezone.utc)
    assert W.next_opening(moment).tzinfo == timezone.utc


def test_the_window_is_read_in_paris_time_whatever_the_input_zone():
    utc_sunday_evening = datetime(2027, 3, 7, 23, 30, tzinfo=timezone.utc)  # Monday 00:30 in Paris
    assert W.closed_reason(utc_sunday_evening) == "before 08:00"
    assert W.next_opening(utc_sunday_evening) == datetime(2027, 3, 8, 7, 0, tzinfo=timezone.utc)


def test_a_custom_window_without_holidays():
    shop = MarketingWindow(
        timezone="America/Martinique",
        open=time(9),
        close=time(18),
        days=(0, 1, 2, 3, 4),
        holiday_country=None,
    )
    friday_evening = datetime(2027, 7, 16, 18, 0, tzinfo=ZoneInfo("America/Martinique"))
    assert shop.closed_reason(friday_evening) == "from 18:00"
    assert shop.next_opening(friday_evening) == datetime(2027, 7, 19, 13, 0, tzinfo=timezone.utc)
    assert shop.is_open(datetime(2027, 7, 14, 12, 0, tzinfo=ZoneInfo("America/Martinique")))  # no holidays
    assert "Mon, Tue, Wed, Thu, Fri 09:00-18:00 America/Martinique" == shop.describe()


def test_a_regional_holiday_closes_the_window():
    moselle = MarketingWindow(holiday_subdivision="57")
    good_friday = paris(2027, 3, 26, 10, 0)
    assert W.is_open(good_friday)
    assert moselle.closed_reason(good_friday) == "public holiday (Good Friday)"


def test_bad_windows_are_refused_with_the_field_named():
    with pytest.raises(SmsValidationError) as info:
        MarketingWindow(timezone="Mars/Olympus", open=time(20), close=time(8), days=(7,))
    text = str(info.value)
    assert "marketing_window.timezone 'Mars/Olympus'" in text
    assert "marketing_window.open (20:00:00) must be before close (08:00:00)" in text
    assert "marketing_window.days" in text
    assert window_problems("weekdays") == ["marketing_window must be a MarketingWindow, got str"]
    with pytest.raises(SmsValidationError, match="holiday_country 'XX' is unknown"):
        MarketingWindow(holiday_country="XX").is_open(paris(2027, 7, 14, 12, 0))


def test_importing_the_operators_does_not_import_holidays():
    code = (
        "import sys; import airflow_provider_sms.operators.send, airflow_provider_sms.notifications.sms;"
        "print('holidays' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ---------------------------------------------------------------------- validation (no request)
SUNDAY = paris(2027, 3, 7, 10, 0)
MONDAY_8 = paris(2027, 3, 8, 8, 0).astimezone(timezone.utc)


@pytest.fixture
def hook(conn_id):
    return get_sms_hook(conn_id)


def validate(hook, **kwargs):
    kwargs.setdefault("now", SUNDAY)
    return hook.validate_send(["0612345678"], "Soldes -20% STOP 36111", **kwargs)


def test_marketing_now_on_a_sunday_is_scheduled_for_monday_8(emulator, hook):
    checked = validate(hook, marketing=True)
    assert checked.send_at == MONDAY_8
    assert checked.request.send_at == MONDAY_8
    assert "is outside the marketing window (Sunday)" in checked.marketing_note
    assert "Monday 2027-03-08 08:00" in checked.marketing_note
    assert emulator.requests() == []


def test_fail_refuses_and_names_the_next_opening(emulator, hook):
    with pytest.raises(SmsValidationError) as info:
        validate(hook, marketing=True, outside_marketing_hours="fail")
    [problem] = info.value.problems
    assert problem.startswith(
        "marketing=True: Sunday 2027-03-07 10:00 Europe/Paris is outside the marketing window (Sunday)"
    )
    assert "next opening Monday 2027-03-08 08:00" in problem
    assert emulator.requests() == []


def test_allow_and_transactional_keep_the_send_as_asked(emulator, hook):
    allowed = validate(hook, marketing=True, outside_marketing_hours="allow")
    assert allowed.send_at is None
    assert "sent anyway" in allowed.marketing_note
    transactional = validate(hook)
    assert (transactional.send_at, transactional.marketing_note) == (None, None)
    assert validate(hook, outside_marketing_hours="fail").send_at is None  # marketing=False: untouched


def test_an_explicit_send_at_in_a_closed_period_is_moved_or_refused(emulator, hook):
    bastille = paris(2027, 7, 14, 11, 0)
    checked = validate(hook, marketing=True, send_at=bastille)
    assert checked.send_at == paris(2027, 7, 15, 8, 0).astimezone(timezone.utc)
    inside = validate(hook, marketing=True, send_at=paris(2027, 3, 9, 19, 55))
    assert inside.send_at == paris(2027, 3, 9, 19, 55).astimezone(timezone.utc)
    assert inside.marketing_note is None
    with pytest.raises(SmsValidationError, match="public holiday"):
        validate(hook, marketing=True, send_at=bastille, outside_marketing_hours="fail")


def test_the_next_opening_falls_on_the_gateway_schedule_step(emulator, vendor, hook):
    odd = MarketingWindow(open=time(8, 2))
    checked = validate(hook, marketing=True, marketing_window=odd)
    step = hook.capabilities.schedule_step_minutes
    expected = paris(2027, 3, 8, 8, 2 if step == 1 else 5).astimezone(timezone.utc)
    assert checked.send_at == expected


def test_bad_marketing_options_are_reported_with_the_others(emulator, hook):
    with pytest.raises(SmsValidationError) as info:
        validate(hook, marketing=True, outside_marketing_hours="later", marketing_window="FR", sender="x")
    text = str(info.value)
    assert "outside_marketing_hours must be one of 'schedule', 'fail', 'allow', got 'later'" in text
    assert "marketing_window must be a MarketingWindow, got str" in text
    assert "sender 'x' is too short" in text


def test_now_is_read_from_the_clock_by_default(emulator, hook):
    checked = hook.validate_send(["0612345678"], "Promo", marketing=True)
    now = datetime.now(timezone.utc)
    if W.is_open(now):
        assert checked.send_at is None
    else:
        assert now < checked.send_at <= now + timedelta(days=5)


def test_an_unknown_holiday_country_is_reported_with_the_other_problems(emulator, hook):
    with pytest.raises(SmsValidationError) as info:
        validate(hook, marketing=True, marketing_window=MarketingWindow(holiday_country="XX"), sender="x")
    text = str(info.value)
    assert "holiday_country 'XX' is unknown to the holidays package" in text
    assert "sender 'x' is too short" in text
    assert emulator.requests() == []
