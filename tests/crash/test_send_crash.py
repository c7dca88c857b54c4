"""Never a duplicate SMS, never a silent loss, when the worker dies mid-send and Airflow retries.

For each gateway and each shape of send (one text to 2,000 numbers; 2,000 personalised rows, each
its own key and text, 100 numbers with two rows), five scenarios: a DAG with one ``SmsSendOperator``
(``retries=1``)
runs in a child process (``dag.test()``) against an emulator in its own process; the child is
SIGKILLed once the emulator's own record shows the chosen share of recipients accepted; then a new
process runs the next try of the same task instance in the same DAG run, as the scheduler would
(``runner.py`` explains how), reading the retry journal the killed try left in ``task_state_store``.
The emulator's record then must show every (number, text) accepted at most once, and every SMS
either accepted or reported by the retry (XCom ``skipped`` / ``failed``, by key for rows).

Primotexto sends one number per request (``--latency-ms 10``, 8 requests in flight). SMS Partner
sends 500 per request (rows: ``/v1/bulk-send``, a number's second row in a later wave), so the 4
requests leave together; their replies are spread out (0.4 s, then
0.7 s apart) so the kill can fall after 0 to 4 of them. The in-flight requests of the killed try are
let land before the retry starts (a real retry comes after the heartbeat timeout).
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import dataclass

import pytest

from tests.crash.crash_harness import (
    CONN_IDS,
    Emulator,
    ForkServer,
    KillPoint,
    Processes,
    airflow_env,
    kill_at,
    make_home,
    migrate,
    tail,
)

#: The DAG's SMS (``send_crash_dag.COUNT``).
COUNT = 2000
#: What the crash DAG sends: one text to 2,000 numbers, or 2,000 personalised rows (100 numbers
#: with two rows each, different keys and texts).
SHAPES = ("text", "rows")


@dataclass(frozen=True)
class Gateway:
    latency_ms: float
    points: tuple[KillPoint, ...]
    #: extra latency rules ``(after, ms)`` on the send path, so that replies arrive one by one
    stagger: tuple[tuple[int, float], ...] = ()


def _share(percent: int, settle: float = 0.0) -> KillPoint:
    """Kill once ``percent`` of the numbers are accepted, ``settle`` seconds later if given."""
    label = f"{percent}% accepted" + (f" +{settle:.2f}s" if settle else "")
    return KillPoint(label, COUNT * percent // 100, extra_delay=settle)


GATEWAYS = {
    "primotexto": Gateway(latency_ms=10, points=tuple(_share(p) for p in (10, 25, 50, 75, 95))),
    "smspartner": Gateway(
        latency_ms=400,
        points=(
            KillPoint("4 requests in flight, 0 accepted", 0, in_flight=4, extra_delay=0.15),
            # halfway to the next reply: the client had the time to read and journal this one
            *(_share(p, settle=0.35) for p in (25, 50, 75)),
            _share(100),  # the last request accepted: killed before or while reading the reply
        ),
        stagger=((1, 700), (2, 700), (3, 700)),
    ),
}


@dataclass
class Row:
    gateway: str
    point: str
    state: str  # "killed", "ended" (before the kill point), "not reached"
    at_kill: int
    landed: int
    duplicates: int = 0
    lost: int = 0
    unconfirmed: int = 0
    seconds: float = 0.0
    tries: str = ""

    def line(self) -> str:
        point = self.point if self.state == "killed" else f"{self.point} ({self.state}!)"
        before = f"{self.at_kill}+{self.landed - self.at_kill}"
        return (
            f"{self.gateway:<15} | {point:<34} | {before:>20} | {self.duplicates:>10} | {self.lost:>4} | "
            f"{self.unconfirmed:>11} | {self.seconds:>7.1f} | {self.tries}"
        )


HEADER = (
    f"{'gateway':<15} | {'kill point':<34} | {'accepted before kill':>20} | {'duplicates':>10} | "
    f"{'lost':>4} | {'unconfirmed':>11} | {'seconds':>7} | tries (final state)"
)


def table(rows: list[Row]) -> str:
    note = (
        "accepted before kill: when the SIGKILL was sent + requests in flight that landed after it; "
        "duplicates: (number, text) pairs accepted more than once; lost: never accepted and not reported in XCom "
        "skipped/failed; unconfirmed: reported in XCom skipped/failed; seconds: first try to end of retry"
    )
    return "\n".join([HEADER, "-" * len(HEADER), *(row.line() for row in rows), note])


@pytest.fixture(scope="module")
def procs():
    started = Processes()
    yield started
    started.stop_all()


@pytest.fixture(scope="module")
def crash_root(tmp_path_factory):
    return tmp_path_factory.mktemp("send-crash")


@pytest.fixture(scope="module")
def emulators(procs, crash_root) -> dict[str, Emulator]:
    return {vendor: Emulator(procs, crash_root, vendor, gw.latency_ms) for vendor, gw in GATEWAYS.items()}


@pytest.fixture(scope="module")
def template_db(crash_root):
    return migrate(make_home(crash_root, "template"))


@pytest.fixture(scope="module", params=SHAPES)
def server(request, procs, crash_root, emulators, template_db) -> ForkServer:
    """A fork server whose crash DAG sends ``request.param`` (``SMS_CRASH_SHAPE``)."""
    home = make_home(crash_root, f"live-{request.param}")
    env = airflow_env(home, {vendor: emulator.url for vendor, emulator in emulators.items()})
    env["SMS_CRASH_SHAPE"] = request.param
    return ForkServer(procs, home, env, template_db)


def score(emulator: Emulator, outcome: dict) -> dict[str, int]:
    """Duplicates and losses, counted per (number, text) from the emulator's own record, against
    what the retry reported (by key for rows, by number for one text)."""
    accepted = emulator.accepted()
    expected = outcome["expected"]
    reported = {
        r.get("key") if r.get("key") is not None else r["recipient"]
        for r in (outcome["skipped"] or []) + (outcome["failed"] or [])
    }
    assert len(expected) == COUNT
    assert set(accepted) <= {(sms["recipient"], sms["text"]) for sms in expected}
    return {
        "duplicates": sum(1 for c in accepted.values() if c > 1),
        "lost": sum(
            1
            for sms in expected
            if accepted[sms["recipient"], sms["text"]] == 0
            and (sms["key"] if sms["key"] is not None else sms["recipient"]) not in reported
        ),
        "unconfirmed": len(reported),
    }


def run_scenario(
    server: ForkServer, emulator: Emulator, gateway: Gateway, point: KillPoint, name: str
) -> Row:
    """First try until the kill point, SIGKILL, let in-flight sends land, then the next try."""
    vendor = emulator.vendor
    server.fresh_db()
    emulator.reset()
    for after, ms in gateway.stagger:
        emulator.add_latency(after, ms)
    started = time.monotonic()
    pid = server.spawn("first", server.home.parent / f"{name}-first.log", CONN_IDS[vendor])
    state, at_kill = kill_at(pid, emulator, point)
    status = server.wait(pid)
    assert status in (0, -signal.SIGKILL), (
        f"the first try crashed:\n{tail(server.home.parent / f'{name}-first.log')}"
    )
    emulator.wait_quiet()
    emulator.clear_faults()
    landed = emulator.accepted_count()
    out, log = server.home.parent / f"{name}-outcome.json", server.home.parent / f"{name}-retry.log"
    assert server.wait(server.spawn("retry", log, str(out))) == 0, f"the retry failed:\n{tail(log)}"
    outcome = json.loads(out.read_text())
    row = Row(
        f"{vendor} {server.shape}", point.label, state, at_kill, landed, seconds=time.monotonic() - started
    )
    for key, value in score(emulator, outcome).items():
        setattr(row, key, value)
    row.tries = " ".join(f"{n}:{ti_state.split('.')[-1].lower()}" for n, ti_state in outcome["tries"])
    return row


@pytest.mark.parametrize("vendor", sorted(GATEWAYS))
def test_sigkill_mid_send_then_retry_same_task_instance(vendor, server, emulators):
    gateway = GATEWAYS[vendor]
    rows = []
    for i, point in enumerate(gateway.points):
        rows.append(run_scenario(server, emulators[vendor], gateway, point, f"{vendor}-{server.shape}-{i}"))
        print(rows[-1].line(), flush=True)

    report = table(rows)
    print(f"\n{report}")
    assert all(row.state == "killed" for row in rows), f"a scenario missed its kill point:\n{report}"
    assert sum(row.duplicates for row in rows) == 0, f"duplicate SMS after a crash and retry:\n{report}"
    assert sum(row.lost for row in rows) == 0, f"SMS silently lost after a crash and retry:\n{report}"
