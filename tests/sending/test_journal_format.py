"""The journal's readable keys (format 3), and parts written by earlier versions (one-letter keys)
still read: a retry after an upgrade finds what the earlier try sent."""

from __future__ import annotations

from airflow_provider_sms.sending.journal_parts import ACCEPTED, UNKNOWN, apply_part


def test_format_2_parts_with_one_letter_keys_still_read():
    entries: dict = {}
    apply_part(entries, {"v": 2, "try": 1, "i": {"r0": ["tag-0", 100.0, ["h1", "h2", "h3"]]}, "a": {}})
    apply_part(
        entries, {"v": 2, "try": 1, "a": {"h1": ["m-1", 1.0, 1]}, "u": {"h2": [101.0, "tag-0"]}, "n": []}
    )
    assert entries["h1"].status == ACCEPTED
    assert entries["h1"].message_id == "m-1"
    assert entries["h2"].status == UNKNOWN
    assert entries["h2"].tag == "tag-0"
    assert entries["h3"].status == UNKNOWN
    assert entries["h3"].at == 100.0


def test_format_3_parts_read_the_same():
    old: dict = {}
    new: dict = {}
    apply_part(
        old, {"v": 2, "try": 2, "a": {"h1": ["m-1", None, 2]}, "n": ["h4"], "i": {"k": [None, 5.0, ["h4"]]}}
    )
    apply_part(
        new,
        {
            "format": 3,
            "try": 2,
            "accepted": {"h1": ["m-1", None, 2]},
            "not_sent": ["h4"],
            "intents": {"k": [None, 5.0, ["h4"]]},
        },
    )
    assert old == new


def test_an_intent_without_outcome_is_in_flight_a_lost_reply_is_not_and_snapshots_keep_both():
    """A try that ended with a request in flight left only its intent (it may have left any time
    after); a lost reply was recorded with when its request left. A snapshot reads back the same."""
    from airflow_provider_sms.sending.journal_parts import snapshot_parts

    entries: dict = {}
    apply_part(
        entries, {"format": 3, "try": 1, "accepted": {}, "intents": {"1.0": ["t0", 100.0, ["h1", "h2"]]}}
    )
    apply_part(entries, {"format": 3, "try": 1, "accepted": {}, "unknown": {"h2": [101.5, "t0"]}})
    assert (entries["h1"].in_flight, entries["h1"].at) == (True, 100.0)
    assert (entries["h2"].in_flight, entries["h2"].at, entries["h2"].tag) == (False, 101.5, "t0")

    again: dict = {}
    for part in snapshot_parts(entries, 2):
        apply_part(again, part)
    assert {d: (e.status, e.at, e.tag, e.in_flight) for d, e in again.items()} == {
        d: (e.status, e.at, e.tag, e.in_flight) for d, e in entries.items()
    }
