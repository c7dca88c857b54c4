"""Probabilistic, seeded fault rules (``probability``, ``seed``) and ``empty_body`` replies, over real
HTTP: which requests a rule hits is exactly what ``random.Random(seed)`` draws, one draw per eligible
request, so a run is reproducible for one seed and one request order."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY, SMSPARTNER_API_KEY

TIMEOUT = 5
PT_HEADERS = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}
STATS = "/v2/account/stats"


def expected_hits(seed: int, probability: float, draws: int) -> list[bool]:
    rng = random.Random(seed)
    return [rng.random() < probability for _ in range(draws)]


def stats_statuses(emu, n: int, session: requests.Session | None = None) -> list[int]:
    session = session or requests.Session()
    return [session.get(emu.url + STATS, headers=PT_HEADERS, timeout=TIMEOUT).status_code for _ in range(n)]


def faults(emu) -> list[dict]:
    return requests.get(emu.url + "/_emulator/faults", timeout=TIMEOUT).json()


def test_hits_follow_the_rules_own_random_sequence(emu):
    emu.add_fault("server_error", path=STATS, probability=0.3, seed=42)
    statuses = stats_statuses(emu, 200)
    assert [s == 500 for s in statuses] == expected_hits(42, 0.3, 200)
    assert 30 <= statuses.count(500) <= 90
    [rule] = faults(emu)
    assert (rule["probability"], rule["seed"], rule["seen"], rule["applied"]) == (
        0.3,
        42,
        200,
        statuses.count(500),
    )
    assert [r["fault"] == "server_error" for r in emu.requests(path=STATS)] == [s == 500 for s in statuses]


def test_same_seed_same_run_other_seed_other_run(emu):
    def run(seed: int) -> list[int]:
        emu.reset()
        emu.add_fault("rate_limit", vendor="primotexto", probability=0.5, seed=seed)
        return stats_statuses(emu, 64)

    first = run(7)
    assert run(7) == first
    assert run(8) != first  # 2**-64 odds of a false failure
    assert set(first) == {200, 429}


@pytest.mark.parametrize(("probability", "expected"), [(0, 200), (0.0, 200), (1, 500), (1.0, 500)])
def test_probability_bounds(emu, probability, expected):
    emu.add_fault("server_error", path=STATS, probability=probability, seed=1)
    assert stats_statuses(emu, 20) == [expected] * 20


def test_after_and_count_bound_the_draws(emu):
    """No draw for the first ``after`` requests; hits stop once ``count`` is used up."""
    emu.add_fault("server_error", path=STATS, after=5, count=4, probability=0.5, seed=3)
    statuses = stats_statuses(emu, 60)
    assert statuses[:5] == [200] * 5
    draws = expected_hits(3, 0.5, 55)
    fourth = [i for i, hit in enumerate(draws) if hit][3]
    expected = [500 if hit and i <= fourth else 200 for i, hit in enumerate(draws)]
    assert statuses[5:] == expected
    assert faults(emu)[0]["applied"] == 4


def test_a_rule_without_seed_shows_the_seed_it_picked(emu):
    emu.add_fault("server_error", path=STATS, probability=0.5)
    picked = faults(emu)[0]["seed"]
    assert isinstance(picked, int)
    statuses = stats_statuses(emu, 40)
    assert [s == 500 for s in statuses] == expected_hits(picked, 0.5, 40)


def test_later_rules_draw_only_for_requests_the_earlier_ones_let_through(emu):
    """Exclusive mix: the second rule sees only what the first did not hit (conditional rates)."""
    emu.add_fault("server_error", path=STATS, probability=0.4, seed=11)
    emu.add_fault("rate_limit", path=STATS, probability=0.5, seed=12)
    statuses = stats_statuses(emu, 100)
    first, second = faults(emu)
    assert first["seen"] == 100
    assert first["applied"] == statuses.count(500)
    assert second["seen"] == 100 - statuses.count(500)
    assert second["applied"] == statuses.count(429)
    through = [s for s in statuses if s != 500]
    assert [s == 429 for s in through] == expected_hits(12, 0.5, len(through))


def test_concurrent_requests_draw_once_each(emu):
    """Thread-safe: 8 clients at once; the number of hits is that of the first ``seen`` draws."""
    emu.add_fault("server_error", path=STATS, probability=0.25, seed=99)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: stats_statuses(emu, 25), range(8)))
    statuses = [s for chunk in results for s in chunk]
    assert len(statuses) == 200
    assert statuses.count(500) == sum(expected_hits(99, 0.25, 200))
    assert faults(emu)[0]["applied"] == statuses.count(500)


def test_probabilistic_send_faults_hit_only_sends(emu):
    """The rule aimed at the send route: each faulted send is not processed, the others are."""
    emu.add_fault("drop", vendor="smspartner", path="/send", probability=0.5, seed=5)
    session = requests.Session()
    outcomes = []
    for i in range(30):
        body = {"apiKey": SMSPARTNER_API_KEY, "phoneNumbers": f"+3362000{i:04d}", "message": "hi"}
        try:
            outcomes.append(session.post(emu.url + "/v1/send", json=body, timeout=TIMEOUT).status_code)
        except requests.ConnectionError:
            outcomes.append(None)
            session = requests.Session()
    assert [o is None for o in outcomes] == expected_hits(5, 0.5, 30)
    assert len(emu.messages()) == outcomes.count(200)
    me = requests.get(emu.url + "/v1/me", params={"apiKey": SMSPARTNER_API_KEY}, timeout=TIMEOUT)
    assert me.status_code == 200  # a /v1 route outside the rule's path


@pytest.mark.parametrize(("kind", "status"), [("server_error", 500), ("rate_limit", 429)])
def test_empty_body(emu, kind, status):
    emu.add_fault(kind, vendor="primotexto", count=1, empty_body=True)
    r = requests.post(
        emu.url + "/v2/notification/messages/send",
        json={"number": "0612345678", "message": "hi"},
        headers=PT_HEADERS,
        timeout=TIMEOUT,
    )
    assert (r.status_code, r.content) == (status, b"")
    if kind == "rate_limit":
        assert r.headers["Retry-After"] == "1"
    assert emu.messages() == []  # not processed


def test_probability_seed_and_empty_body_over_http(emu):
    rule = {"kind": "server_error", "path": STATS, "probability": 0.5, "seed": 2, "empty_body": True}
    created = requests.post(emu.url + "/_emulator/faults", json=rule, timeout=TIMEOUT)
    assert created.status_code == 201
    assert {k: created.json()[k] for k in rule} == rule
    statuses = stats_statuses(emu, 30)
    assert [s == 500 for s in statuses] == expected_hits(2, 0.5, 30)
    assert faults(emu)[0]["applied"] == statuses.count(500)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "drop", "probability": -0.1},
        {"kind": "drop", "probability": 1.5},
        {"kind": "drop", "probability": "0.5"},
        {"kind": "drop", "probability": True},
        {"kind": "drop", "seed": 1},
        {"kind": "drop", "probability": 0.5, "seed": -1},
        {"kind": "drop", "probability": 0.5, "seed": 1.5},
        {"kind": "drop", "probability": 0.5, "seed": "abc"},
        {"kind": "drop", "empty_body": True},
        {"kind": "server_error", "empty_body": "yes"},
    ],
)
def test_bad_probability_seed_or_empty_body_is_refused(emu, kwargs):
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError):
        emu.add_fault(kind, **kwargs)
    r = requests.post(emu.url + "/_emulator/faults", json={"kind": kind, **kwargs}, timeout=TIMEOUT)
    assert r.status_code == 400
    assert r.json()["error"]
