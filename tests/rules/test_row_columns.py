"""The column-by-column row checks (``rules/row_columns.py``) give exactly the row-by-row answer
(``rules/rows.py::check_rows``), on seeded random sends for both gateways, every
``unsupported_characters`` mode and SMS Partner's Low Cost range; and the parts they stand on:
the French mobile pattern against ``parse_number``, and each gateway's plain characters, whose
texts it judges by length alone.
"""

from __future__ import annotations

import importlib
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

from airflow_provider_sms.rules.numbers import _french_mobile_pattern, all_ready_mobiles, parse_number
from airflow_provider_sms.rules.row_columns import check_columns
from airflow_provider_sms.rules.row_template import RowTemplate
from airflow_provider_sms.rules.rows import CheckedRows, check_rows
from tests.helpers import row_cases
from tests.helpers.gateway_rules import gateway

SEEDS = (7, 1009, 65537)
CASES_PER_SEED = 400
MODES = (None, "fail", "replace", "unicode")
#: The gateways as the checks see them: both hooks, SMS Partner with and without Low Cost.
GATEWAYS = {
    "primotexto": {},
    "smspartner": {},
    "smspartner low cost": {"gamme": 2},
}
#: Primotexto cannot send UCS-2: every text is refused in "unicode" mode, so no fast path there.
NEVER_FAST = {("primotexto", "unicode")}
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def gateways():
    return {name: gateway(name.split()[0], **extra) for name, extra in GATEWAYS.items()}


def differences(fast: CheckedRows, slow: CheckedRows) -> list[str]:
    """The fields of the two answers that differ (labels compared as mappings, in order)."""
    pairs = {
        "order": (fast.order, slow.order),
        "rows": (fast.rows, slow.rows),
        "labels": (dict(fast.labels), dict(slow.labels)),
        "label order": (list(fast.labels), list(slow.labels)),
        "longest": (fast.longest, slow.longest),
        "replaced": (fast.replaced, slow.replaced),
        "invalid": (fast.invalid, slow.invalid),
        "merged": (fast.merged, slow.merged),
        "problems": (fast.problems, slow.problems),
    }
    return [f"{name}: {a!r} != {b!r}" for name, (a, b) in pairs.items() if a != b]


def describe(entries: object, message: object) -> str:
    source = message.source if isinstance(message, RowTemplate) else message
    return f"rows={entries!r} message={source!r}"


# ------------------------------------------------------------------ 1. the two paths agree
@pytest.mark.parametrize("seed", SEEDS)
def test_the_columns_give_the_row_by_row_answer_on_random_sends(gateways, seed):
    rng = random.Random(seed)
    fast: Counter[tuple[str, str | None]] = Counter()
    disagreements: list[str] = []
    checked = 0
    for _ in range(CASES_PER_SEED):
        entries, message = row_cases.case(rng)
        for name, hook in gateways.items():
            for mode in MODES:
                checked += 1
                columns = check_columns(entries, message, hook, mode)
                if columns is None:
                    continue
                fast[name, mode] += 1
                found = differences(columns, check_rows(entries, message, hook, "fail", mode))
                if found:
                    disagreements.append(f"{name} {mode}: {describe(entries, message)}: {found}")
    assert not disagreements, f"{len(disagreements)} disagreements, first: {disagreements[:3]}"
    share = sum(fast.values()) / checked
    # The generator keeps the common shape in a fair share of cases: the comparison proves something.
    assert share > 0.15, (share, fast)
    expected = {(name, mode) for name in GATEWAYS for mode in MODES} - NEVER_FAST
    assert set(fast) == expected, fast


@pytest.mark.parametrize("name", GATEWAYS)
def test_the_benchmark_rows_take_the_columns_and_agree(gateways, name):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        bench_rows = importlib.import_module("bench_rows")
    finally:
        sys.path.remove(str(BENCHMARKS))
    rows = bench_rows.make_rows(1_000, 0)
    template = RowTemplate(bench_rows.TEMPLATE, row_cases.CONTEXT)
    hook = gateways[name]
    for mode in set(MODES) - {"unicode" if name == "primotexto" else "-"}:
        columns = check_columns(rows, template, hook, mode)
        assert columns is not None, mode
        assert len(columns.order) == len(rows)
        assert differences(columns, check_rows(rows, template, hook, "fail", mode)) == []


@pytest.mark.parametrize("name", GATEWAYS)
def test_rows_of_their_own_ready_texts_without_keys_take_the_columns_and_agree(gateways, name):
    rng = random.Random(11)
    rows = [{"recipient": row_cases.mobile(rng), "message": row_cases.plain_text(rng)} for _ in range(500)]
    rows = [row for row in rows if parse_number(row["recipient"], "FR")[1] is None]
    columns = check_columns(rows, None, gateways[name], "fail")
    assert columns is not None
    assert differences(columns, check_rows(rows, None, gateways[name], "fail", "fail")) == []


def test_a_number_with_a_non_ascii_digit_is_refused_by_both_paths(gateways):
    rows = [{"recipient": "+3361234567\u0668", "key": 1}]
    slow = check_rows(rows, "Bonjour", gateways["smspartner"], "fail", None)
    assert slow.order == []  # refused row by row: not a phone number
    assert check_columns(rows, "Bonjour", gateways["smspartner"], None) is None


# ------------------------------------------------------------------ 3. the French mobile pattern
def ready(number: object) -> bool:
    return parse_number(number, "FR") == (number, None)


def test_the_mobile_pattern_agrees_with_parse_number_on_french_e164_numbers():
    rng = random.Random(33)
    pattern = _french_mobile_pattern()
    wrong = []
    numbers = [row_cases.french_e164(rng, prefix) for prefix in range(10, 100) for _ in range(560)]
    for number in numbers:
        if bool(pattern.fullmatch(number)) != ready(number):
            wrong.append(number)
    assert not wrong, wrong[:20]
    assert sum(map(ready, numbers)) > 1_000  # mobiles among them, not only refusals


def test_the_mobile_pattern_agrees_with_parse_number_around_the_fiction_blocks():
    pattern = _french_mobile_pattern()
    numbers = [f"+3363998{i:04d}" for i in range(10_000)] + [f"+447700900{i:03d}" for i in range(1_000)]
    assert all(map(pattern.fullmatch, numbers))
    assert all(map(ready, numbers))
    near = ["+3363998123", "+336399812345", "+3363997" + "1234", "+3363999" + "1234"]
    near += ["+44770090012", "+4477009001234", "+447700901123", "+447700899123", "+33 639981234"]
    for number in near:
        assert bool(pattern.fullmatch(number)) <= ready(number), number


def test_all_ready_mobiles_only_says_yes_when_parse_number_takes_every_number_back():
    rng = random.Random(34)
    seen = Counter()
    for _ in range(2_000):
        numbers = [
            row_cases.mobile(rng) if rng.random() < 0.8 else row_cases.odd_number(rng)
            for _ in range(rng.randint(0, 6))
        ]
        answer = all_ready_mobiles(numbers)
        seen[answer] += 1
        if answer:
            assert all(map(ready, numbers)), numbers
        elif numbers and all(isinstance(n, str) and n.startswith("+33") and len(n) == 12 for n in numbers):
            assert not all(map(ready, numbers)), numbers  # French E.164 text: the exact answer
    assert seen[True] > 300, seen
    assert seen[False] > 300, seen


# ------------------------------------------------------------------ 4. plain characters
@pytest.mark.parametrize("name", GATEWAYS)
def test_texts_of_plain_characters_are_judged_by_their_length_alone(gateways, name):
    hook = gateways[name]
    characters = "".join(sorted(hook.plain_characters))
    assert characters
    assert hook.plain_characters <= hook.alphabet
    rng = random.Random(480)
    for length in range(1, 481):
        texts = row_cases.plain_texts(rng, characters, length, 3)
        for mode in MODES:
            answers = set()
            for text in texts:
                prepared = hook.text_to_send(text, mode)
                assert (prepared.text, prepared.replaced) == (text, {}), (length, mode)
                answers.add((tuple(hook.message_problems(text, mode)), hook.segments_of(text)))
            assert len(answers) == 1, (length, mode, answers)
