"""The SMS views' data on their own: XCom shapes the DAG run in test_ui.py does not produce (a send
without rows, reasons carrying a number, odd values), paging bounds."""

from __future__ import annotations

from airflow_provider_sms.plugins.ui_data import delivery_index, page_of, send_task

ACCEPTED = [
    {
        "message_id": "7",
        "recipient": "+33612345601",
        "credits_used": 0.045,
        "segments": 2,
        "vendor": "smspartner",
    },
    {
        "message_id": "7",
        "recipient": "+33612345602",
        "credits_used": "0.045",
        "segments": 1,
        "vendor": "smspartner",
    },
    {
        "message_id": "8",
        "recipient": "+33612345603",
        "credits_used": None,
        "segments": None,
        "vendor": "smspartner",
    },
]
STATUSES = [
    {
        "message_id": "7",
        "recipient": "+33612345601",
        "state": "delivered",
        "updated_at": "2026-12-03T12:00:00.5+01:00",
    },
    {"message_id": "7", "recipient": "+33612345602", "state": "pending", "updated_at": None},
]


def test_a_send_of_plain_numbers_shared_message_ids_and_loose_values():
    xcoms = {
        "return_value": ACCEPTED,
        "skipped": [{"recipient": "+33612345604", "reason": "blacklisted: +33612345604 is on the STOP list"}],
        "failed": [
            {
                "recipient": "+33612345605",
                "reason": "refused",
                "error": {"error": "SmsGatewayError", "code": 13},
            }
        ],
        "unconfirmed": "not a list",
    }
    task = send_task("send", 3, "success", xcoms, delivery_index(STATUSES))
    totals = task.totals
    assert (totals.accepted, totals.skipped, totals.failed, totals.unconfirmed) == (3, 1, 1, 0)
    assert totals.segments == 3
    assert round(totals.cost["smspartner"], 3) == 0.09
    assert dict(totals.funnel) == {"delivered": 1, "pending": 1, "untracked": 1}
    # no positions: input order, accepted first; numbers masked, in reasons too
    assert [(r.position, r.number, r.outcome, r.state) for r in task.rows] == [
        (None, "+3361****01", "accepted", "delivered"),
        (None, "+3361****02", "accepted", "pending"),
        (None, "+3361****03", "accepted", None),
        (None, "+3361****04", "skipped", None),
        (None, "+3361****05", "failed", None),
    ]
    assert task.rows[0].time == "2026-12-03 11:00:00 UTC"
    assert task.rows[3].reason == "blacklisted: +3361****04 is on the STOP list"
    assert task.rows[4].reason == "refused (SmsGatewayError, code 13)"
    assert "+33612345604" not in repr(task)


def test_pages_stay_within_bounds():
    rows = [{"message_id": str(i), "recipient": f"+336{i:08d}", "position": i} for i in range(120)]
    task = send_task("send", -1, "success", {"return_value": rows}, {})
    assert [page_of(task, page=n).number for n in (0, 1, 3, 99)] == [1, 1, 3, 3]
    last = page_of(task, page=3)
    assert (last.pages, last.matching, [r.position for r in last.rows][:2]) == (3, 120, [100, 101])
    assert page_of(task, query="100").matching == 1  # a position matches exactly
    assert [r.position for r in page_of(task, query="****19").rows] == [19, 119]  # masks alike
    assert page_of(task, outcome="failed").rows == []
