"""Chaos: SmsSendOperator under random gateway faults and real Airflow retries never duplicates or
loses an SMS, on both gateways.

What each run does: ``tests/dags/send_chaos.py`` sends one text to 2,000 numbers through the
emulator (``dag.test()``, ``retries=12``, no retry delay, 16 requests in flight, the operator's
default ``on_unknown_outcome``, a 5 s settle time), while seeded, probabilistic emulator faults hit
the gateway's send route only, each send request independently: 20 % HTTP 500 with no body
(nothing sent, and the client cannot tell), 5 % HTTP 429 with ``Retry-After: 1`` (nothing sent),
2 % dropped connection (nothing sent, no reply), 1 % ``accept_then_drop`` (the SMS *is* accepted,
the reply is lost), 1 % an HTML page with HTTP 200 (nothing sent, the reply proves nothing), and,
on top of any of these, 10 % ``commit_delay`` (the gateway records the send 2 s after its request:
with a lost reply, after the client gave up). Before the run, per seed, the gateway's clock is set
off (10 minutes ahead, 10 minutes behind, 45 s behind) and another system texts 5 % of the numbers
1 to 120 s earlier (under a category of its own), so attributing a lost reply by number or by time
alone would go wrong. Status and reconciliation routes are not faulted. Three seeds per gateway: the n-th send request
the emulator receives always gets the same fate for a seed; which recipients that request carries
depends on the order of concurrent requests, which varies a little between runs. Primotexto sends
one number per request (~2,700 send requests per run); SMS Partner 500 (a handful of requests per
run), so its seeds are picked to put a lost reply and a dropped connection in the first try.

What is checked, from the emulator's own record of accepted messages (what the "gateway" really
sent), not from what the operator says:

* **no duplicate**: no number is accepted twice, whatever the faults and however many tries;
* **no silent loss**: every number is accepted exactly once, or the run is not green and the
  number is listed in the task's XCom ``unconfirmed`` (or ``failed``): never a green run with a
  number that got no SMS;
* **a green run means every recipient accepted exactly once**, and the task's ``return_value``
  lists every one of them, with the message id the gateway gave (or a placeholder where the
  gateway's records give none), and no number it did not accept; on a failed run, every accepted
  number is still reported (``return_value`` or ``unconfirmed``): ``misreported`` counts the
  exceptions;
* the emulator can settle every unknown outcome exactly (SMS Partner ``bulk-status-by-tag``,
  Primotexto status by recipient), so the run must end green within its tries.

Plus one deterministic case: an SMS Partner refusal (HTTP 200, ``success: false``, ``code: 500``)
means nothing was sent, so the next try sends those numbers, exactly once.

A results table (tries, accepted, duplicates, lost, unconfirmed, misreported, seconds per gateway
and seed) is printed at the end of the pytest session (``tests/chaos/conftest.py``).
"""

from __future__ import annotations

import importlib
import os
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import fault_mix
from tests.helpers.gateways import CONN_IDS
from tests.helpers.task_fakes import tries

PRIMOTEXTO_SEND = "/v2/notification/messages/send"
SMSPARTNER_SEND = "/v1/send"
COUNT = 2000
#: Seeds chosen so that the first four send requests, i.e. the whole first try of an SMS Partner
#: run (2,000 numbers = 4 requests of 500), meet a lost reply after acceptance, a dropped
#: connection and a bodiless 500: 1885 gives accept_then_drop, drop, 500, 429; 1345 gives
#: accept_then_drop, ok, drop, 500, then 500 and drop again on the 5th and 6th requests; 2610 gives
#: accept_then_drop, drop, ok, 500. (Any seed covers every kind on Primotexto: 2,000 requests of
#: one number.)
SEEDS = (1885, 1345, 2610)

#: (kind, overall share of send requests, extra arguments). Rules apply in order and the first one
#: that fires decides, so each later rule gets its share divided by what the earlier ones let through.
FAULT_MIX = (
    ("server_error", 0.20, {"empty_body": True}),
    ("rate_limit", 0.05, {"retry_after": 1}),
    ("drop", 0.02, {}),
    ("accept_then_drop", 0.01, {}),
    ("raw_reply", 0.01, {"body": "<html><body>Maintenance</body></html>"}),
    ("commit_delay", 0.10, {"commit_delay": 2}),  # non-terminal: adds to whatever else happens
)
#: The gateway's clock against real time, per seed (seconds; negative: behind).
CLOCK_OFFSETS = {1885: 600.0, 1345: -600.0, 2610: -45.0}
#: Share of the numbers another system texts shortly before the run, and how long before at most.
OTHERS_SHARE, OTHERS_SECONDS = 0.05, 120.0


def dag_module():
    return importlib.import_module("tests.dags.send_chaos")


def add_fault_mix(emulator, vendor: str, seed: int) -> None:
    fault_mix.add_fault_mix(emulator, vendor, seed, FAULT_MIX)


def run(vendor: str, count: int = COUNT):
    return dag_module().send_chaos.test(run_conf={"sms_conn_id": CONN_IDS[vendor], "count": count})


def xcom(dag_run, key: str, task_id: str = "send"):
    """The last try's XCom ``key``, or ``None`` when it pushed none."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids=task_id, key=key)
        row = session.scalars(query).first()
        return None if row is None else XComModel.deserialize_value(row)


def recipients_in(value) -> set[str]:
    """Numbers of an XCom list of numbers or of dicts with a ``recipient`` key."""
    return {item["recipient"] if isinstance(item, dict) else item for item in value or []}


def emulator_cpu_seconds(emulator) -> float:
    """CPU time used so far by the emulator's server thread (Linux; 0.0 elsewhere)."""
    thread = getattr(emulator, "_thread", None)
    try:
        fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
    except (AttributeError, OSError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_commits(emulator, timeout: float = 15.0) -> None:
    """Let the sends the emulator still has to commit (``commit_delay``) land before counting."""
    deadline = time.monotonic() + timeout
    while emulator.state.pending_commits and time.monotonic() < deadline:
        time.sleep(0.1)
    assert emulator.state.pending_commits == 0


def audit(emulator, vendor: str, dag_run, numbers: list[str]) -> dict:
    """Compare the emulator's record of accepted messages (ours: the run's text; the others are
    another system's) with the run's outcome and XComs."""
    messages = emulator.messages(vendor=vendor)
    mine = [m for m in messages if m["text"] == dag_module().MESSAGE]
    accepted = Counter(m["recipient"] for m in mine)
    ids = {m["recipient"]: str(m["message_id"]) for m in mine}
    history = tries(dag_run)
    green = history[-1][1] == "success" and str(dag_run.state) == "success"
    unconfirmed = recipients_in(xcom(dag_run, "unconfirmed"))
    failed = recipients_in(xcom(dag_run, "failed"))
    reported = {r["recipient"]: str(r["message_id"]) for r in xcom(dag_run, "return_value") or []}
    listed = set() if green else unconfirmed | failed  # a green run may leave nobody unsent
    lost = [n for n in numbers if accepted[n] == 0 and n not in listed]
    # Misreported: accepted but absent from the results (and not unconfirmed), reported sent but
    # never accepted, or reported with the id of another message. A placeholder id is fine: SMS
    # Partner's bulk-status-by-tag, which settles a lost reply, gives no message id.
    gateway_ids = {str(m["message_id"]) for m in messages}  # an id of another system's message too
    misreported = [
        *(n for n in accepted if n not in reported and (green or n not in unconfirmed)),
        *(n for n in reported if accepted[n] == 0),
        *(n for n, i in reported.items() if accepted[n] and i != ids[n] and i in gateway_ids),
    ]
    return {
        "gateway": vendor,
        "green": green,
        "tries": len(history),
        "accepted": sum(accepted.values()),
        "duplicates": sum(c - 1 for c in accepted.values() if c > 1),
        "duplicated_numbers": sorted(n for n, c in accepted.items() if c > 1),
        "lost": len(lost),
        "lost_numbers": lost,
        "unconfirmed": len(unconfirmed),
        "misreported": len(misreported),
        "misreported_numbers": misreported,
        "strangers": sorted(set(accepted) - set(numbers)),
        "history": history,
    }


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_no_duplicate_no_loss_under_random_faults(airflow_db, emulator, chaos_rows, vendor, seed):
    numbers = dag_module().chaos_numbers(COUNT)
    emulator.configure(clock_offset=CLOCK_OFFSETS[seed])
    others = fault_mix.plant_other_messages(emulator, vendor, seed, numbers, OTHERS_SHARE, OTHERS_SECONDS)
    add_fault_mix(emulator, vendor, seed)

    started, emulator_cpu = time.monotonic(), emulator_cpu_seconds(emulator)
    dag_run = run(vendor)
    seconds = time.monotonic() - started
    emulator_cpu = emulator_cpu_seconds(emulator) - emulator_cpu
    wait_for_commits(emulator)  # a send accepted at the end of the run may be committed later

    result = audit(emulator, vendor, dag_run, numbers)
    row = {**result, "seed": seed, "clock": f"{CLOCK_OFFSETS[seed]:+.0f}s", "seconds": f"{seconds:.1f}"}
    chaos_rows.append(row)
    faults = {f["kind"]: (f["seen"], f["applied"]) for f in emulator.faults.describe()}
    print(
        f"\n{vendor} seed {seed}: green={result['green']} tries={result['tries']} "
        f"accepted={result['accepted']} duplicates={result['duplicates']} lost={result['lost']} "
        f"unconfirmed={result['unconfirmed']} misreported={result['misreported']} {seconds:.1f}s "
        f"(emulator thread CPU {emulator_cpu:.1f}s)\n"
        f"  tries: {result['history']}\n  faults (seen, applied): {faults}"
    )

    assert result["strangers"] == []
    assert len(emulator.messages(vendor=vendor)) - result["accepted"] == len(others)  # theirs untouched
    assert result["duplicates"] == 0, f"numbers accepted more than once: {result['duplicated_numbers'][:10]}"
    assert result["lost"] == 0, (
        f"numbers never sent and not reported unconfirmed: {result['lost_numbers'][:10]}"
    )
    if result["green"]:
        assert result["accepted"] == COUNT
    assert result["misreported"] == 0, (
        f"return_value disagrees with the gateway (missing, phantom or wrong id): {result['misreported_numbers'][:10]}"
    )
    for kind in ("server_error", "drop", "accept_then_drop"):  # the run did meet the hard cases
        assert faults[kind][1] >= 1, f"seed {seed} never applied {kind}: pick another seed"
    assert result["green"], (
        f"the emulator settles every unknown outcome exactly: the run should end green within "
        f"{dag_module().RETRIES + 1} tries ({result['history']})"
    )


def test_smspartner_refusal_with_code_500_is_sent_by_the_next_try(airflow_db, emulator):
    """HTTP 200 ``{"success": false, "code": 500}``: an explicit refusal, nothing was sent."""
    numbers = dag_module().chaos_numbers(COUNT)
    emulator.add_fault("vendor_error", vendor="smspartner", path=SMSPARTNER_SEND, code=500, after=1, count=1)

    dag_run = run("smspartner")

    sends = [r for r in emulator.requests(vendor="smspartner") if r["path"] == SMSPARTNER_SEND]
    [refused] = [r for r in sends if r["fault"] == "vendor_error"]
    assert refused["status"] == 200
    refused_numbers = refused["body"]["phoneNumbers"].split(",")
    assert len(refused_numbers) == 500
    accepted = Counter(m["recipient"] for m in emulator.messages(vendor="smspartner"))
    assert accepted == Counter(numbers), "some number got no SMS or more than one"
    resent = [
        numbers_of_request
        for r in sends
        if r["seq"] > refused["seq"] and r["status"] == 200 and r["fault"] is None
        for numbers_of_request in [r["body"]["phoneNumbers"].split(",")]
        if set(numbers_of_request) & set(refused_numbers)
    ]
    assert sorted(n for request in resent for n in request) == sorted(refused_numbers)
    assert tries(dag_run) == [(1, "failed"), (2, "success")]
    assert not xcom(dag_run, "unconfirmed")
    results = xcom(dag_run, "return_value")
    assert [r["recipient"] for r in results] == numbers


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("vendor", ["primotexto", "smspartner"])
def test_personalised_rows_no_duplicate_no_loss_under_random_faults(
    airflow_db, emulator, chaos_rows, vendor, seed
):
    """2,000 rows, each its own key and text (100 numbers get two of them), through the same fault
    mix: on SMS Partner the rows go through ``/v1/bulk-send`` (4 requests a try) and a lost reply
    is settled by the request's tag. Counted by (number, text): every row exactly once."""
    rows = dag_module().chaos_rows(COUNT)
    expected = Counter(
        (row["recipient"], f"Bonjour {row['first_name']}, votre commande {row['key']} part demain")
        for row in rows
    )
    emulator.configure(clock_offset=CLOCK_OFFSETS[seed])
    numbers = sorted({row["recipient"] for row in rows})
    others = fault_mix.plant_other_messages(emulator, vendor, seed, numbers, OTHERS_SHARE, OTHERS_SECONDS)
    fault_mix.add_fault_mix(
        emulator, vendor, seed, FAULT_MIX, path=None if vendor == "primotexto" else "send"
    )

    started = time.monotonic()
    dag_run = dag_module().send_chaos_rows.test(run_conf={"sms_conn_id": CONN_IDS[vendor], "count": COUNT})
    seconds = time.monotonic() - started
    wait_for_commits(emulator)

    everything = Counter((m["recipient"], m["text"]) for m in emulator.messages(vendor=vendor))
    received = Counter({pair: n for pair, n in everything.items() if pair in expected})
    history = tries(dag_run)
    green = history[-1][1] == "success" and str(dag_run.state) == "success"
    duplicates = sum(c - 1 for c in received.values() if c > 1)
    lost = sum(1 for pair in expected if received[pair] == 0)
    results = xcom(dag_run, "return_value") or []
    chaos_rows.append(
        {
            "gateway": f"{vendor} rows",
            "seed": seed,
            "clock": f"{CLOCK_OFFSETS[seed]:+.0f}s",
            "green": green,
            "tries": len(history),
            "accepted": sum(received.values()),
            "duplicates": duplicates,
            "lost": lost,
            "unconfirmed": len(xcom(dag_run, "unconfirmed") or []),
            "misreported": len(results) - len({r["key"] for r in results}),
            "seconds": f"{seconds:.1f}",
        }
    )
    faults = {f["kind"]: (f["seen"], f["applied"]) for f in emulator.faults.describe()}
    print(f"\n{vendor} rows seed {seed}: tries {history}, faults (seen, applied): {faults}")

    assert sum(everything.values()) - sum(received.values()) == len(others), "theirs untouched, no stranger"
    assert duplicates == 0
    assert lost == 0
    assert green, history
    assert [(r["key"], r["position"]) for r in results] == [(row["key"], i) for i, row in enumerate(rows)]
    for kind in ("server_error", "drop", "accept_then_drop"):
        assert faults[kind][1] >= 1, f"seed {seed} never applied {kind}: pick another seed"
    if vendor == "smspartner":
        paths = {r["path"] for r in emulator.requests(vendor=vendor) if "send" in r["path"]}
        assert paths == {"/v1/bulk-send"}
