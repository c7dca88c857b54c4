"""The attribution rules alone (pure): where a message's creation falls against a request's window
on the gateway's measured clock, the ids the task holds, the task's figures, a tag's list."""

from __future__ import annotations

import pytest

from airflow_provider_sms.hooks.gateway import LatestMessage
from airflow_provider_sms.hooks.gateway_clock import ClockReading
from airflow_provider_sms.model.results import DeliveryStatus
from airflow_provider_sms.sending.attribution import (
    ABSENT,
    MAX_CLOCK_UNCERTAINTY,
    Verdict,
    Window,
    by_creation,
    by_listing,
    cross_checked,
    unconfirmed,
)
from airflow_provider_sms.sending.reconcile import Settling, Unknown

#: Our request left at local 1000 and the gateway shows what it did with it by 1060.
WINDOW = Window(start=1000.0, end=1060.0)
#: The gateway's clock is 600 s ahead, known to half a second.
AHEAD = ClockReading(offset=600.0, uncertainty=0.5, replies=3)


def message(
    local_created: float, message_id: str | None = "77", clock: ClockReading = AHEAD
) -> LatestMessage:
    """A message created at local time ``local_created``, as the gateway (its own clock) reports it."""
    return LatestMessage(message_id, local_created + clock.offset)


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (1000.0 - 48, "absent"),  # another system, 48 s before our request
        (1000.0 - 108, "absent"),
        (999.0, "absent"),  # before the window by more than the clock's uncertainty
        (999.7, "landed"),  # within the uncertainty of its start: taken inside
        (1003.0, "landed"),
        (1060.4, "landed"),
        (1061.0, "unconfirmed"),  # after the window: a later message hides ours
    ],
)
def test_creation_time_against_the_window_on_the_gateway_clock(created, expected):
    assert by_creation(message(created), WINDOW, AHEAD, known_ids=set()).attribution == expected


def test_a_landed_message_is_named_by_its_own_id():
    assert by_creation(message(1003.0, "77"), WINDOW, AHEAD, known_ids={"12"}) == Verdict("landed", "77")


def test_no_message_at_all_means_ours_never_arrived():
    assert by_creation(None, WINDOW, None, known_ids=set()) == ABSENT


@pytest.mark.parametrize(("created", "expected"), [(990.0, "absent"), (1003.0, "unconfirmed")])
def test_a_message_the_task_already_holds_is_never_taken_for_the_lost_one(created, expected):
    """Another recipient of this task with the same number: before our window ours never came (it
    would be the latest); inside it, ours may be older and hidden."""
    verdict = by_creation(message(created, "77"), WINDOW, AHEAD, known_ids={"77"})
    assert verdict.attribution == expected


@pytest.mark.parametrize(
    "clock",
    [None, ClockReading(offset=600.0, uncertainty=MAX_CLOCK_UNCERTAINTY + 1, replies=1)],
    ids=["unmeasured", "too-uncertain"],
)
def test_without_a_trusted_clock_a_message_is_unconfirmed_not_guessed(clock):
    verdict = by_creation(LatestMessage("77", 1603.0), WINDOW, clock, known_ids=set())
    assert verdict.attribution == "unconfirmed"
    assert "clock" in verdict.reason


def test_no_id_or_no_time_is_unconfirmed():
    assert by_creation(message(1003.0, None), WINDOW, AHEAD, set()).attribution == "unconfirmed"
    assert by_creation(LatestMessage("77", None), WINDOW, AHEAD, set()).attribution == "unconfirmed"


def test_a_scheduled_message_is_matched_by_its_schedule_whatever_the_clock():
    scheduled = Window(start=1000.0, end=1060.0, scheduled=5000.0)
    assert by_creation(LatestMessage("77", 5000.4), scheduled, None, set()) == Verdict("landed", "77")
    assert by_creation(LatestMessage("77", 5300.0), scheduled, AHEAD, set()).attribution == "unconfirmed"


def test_the_task_figures_correct_the_times():
    landed, other = Verdict("landed", "1"), unconfirmed("later message")
    assert cross_checked([landed, other], None) == [landed, other]  # no usable figures
    assert cross_checked([landed, other], 0) == [ABSENT, ABSENT]  # none of ours landed
    assert cross_checked([landed, other, ABSENT], 1) == [landed, other, ABSENT]
    demoted = cross_checked([landed, Verdict("landed", "2")], 1)  # the times found one too many
    assert [v.attribution for v in demoted] == ["unconfirmed", "unconfirmed"]


def test_a_tag_list_names_exactly_the_numbers_its_request_got_accepted():
    listed = {"+33600000001": DeliveryStatus("tag:t", "+33600000001", "pending")}
    assert by_listing("+33600000001", listed) == Verdict("landed", "tag:t")
    assert by_listing("+33600000002", listed) == ABSENT
    assert by_listing("+33600000001", None).attribution == "unconfirmed"


def test_the_window_of_a_lost_reply_and_of_a_request_cut_off_in_flight():
    settling = Settling(settle_seconds=60.0, resumed_at=5000.0)
    assert settling.window(Unknown("a", at=1000.0)) == Window(1000.0, 1060.0)
    # a try that ended (a crash) with the request in flight: it may have left until this try began
    assert settling.window(Unknown("b", at=1000.0, in_flight=True)) == Window(1000.0, 5060.0)
    assert settling.settled_by([Unknown("a", 1000.0), Unknown("b", 1000.0, in_flight=True)]) == 5060.0
