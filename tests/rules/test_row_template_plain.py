"""A row template's column rendering (``RowTemplate.render_rows``, ``str.format`` over plain
fields) gives exactly Jinja's texts, row by row (``RowTemplate.render``), on seeded random
templates and rows; and it is the one taken for the templates that only print row fields."""

from __future__ import annotations

import random

import pytest

from airflow_provider_sms.rules.row_template import (
    RowTemplate,
    RowTemplateError,
    plain_fields,
    row_environment,
)
from tests.helpers import row_cases

SEEDS = (5, 4242, 99991)
TEMPLATES_PER_SEED = 300


def rendered_one_by_one(template: RowTemplate, rows: list[object]) -> list[str] | None:
    """Every row's text from Jinja, or ``None`` when a row fails."""
    try:
        return [template.render(row) for row in rows]  # type: ignore[arg-type]
    except RowTemplateError:
        return None


@pytest.mark.parametrize("seed", SEEDS)
def test_render_rows_gives_jinjas_texts_on_random_templates_and_rows(seed):
    rng = random.Random(seed)
    columns = 0
    disagreements = []
    for _ in range(TEMPLATES_PER_SEED):
        template = row_cases.row_template(rng)
        rows: list[object] = list(row_cases.template_rows(rng, rng.choice((1, 2, 5, 12))))
        if rng.random() < 0.1:
            at = rng.randrange(len(rows))
            rows[at] = row_cases.other_container(rng, rows[at])  # type: ignore[arg-type]
        texts = template.render_rows(rows)
        if texts is None:
            continue
        columns += 1
        expected = rendered_one_by_one(template, rows)
        if texts != expected:
            disagreements.append((template.source, rows, texts, expected))
    assert not disagreements, disagreements[:3]
    assert columns > TEMPLATES_PER_SEED // 5, columns  # the column path is taken often enough to prove it


@pytest.mark.parametrize(
    ("source", "fields"),
    [
        ("Bonjour {{ row.first_name }}", ("first_name",)),
        ("{{ row['a'] }}{{ row[\"b\"] }}", ("a", "b")),
        ("{ {{- row.a -}} }\n", ("a",)),
        ("{% raw %}{{ x }}{% endraw %}{{ row.a }}", ("a",)),
    ],
)
def test_templates_that_only_print_row_fields_are_plain(source, fields):
    plain = plain_fields(row_environment(), source)
    assert plain is not None
    assert plain[1] == fields
    template = RowTemplate(source, row_cases.CONTEXT)
    rows = [{name: f"v{i}" for name in fields} for i in range(3)]
    assert template.render_rows(rows) == [template.render(row) for row in rows]


@pytest.mark.parametrize(
    "source",
    [
        "{{ row.items }}",
        "{{ row.keys }}",
        "{{ row._x }}",
        "{{ row['items'] }}",
        "{{ row.a|upper }}",
        "{{ ds }} {{ row.a }}",
        "{{ row.a.real }}",
        "{{ row[0] }}",
        "{% if row.a %}{{ row.a }}{% endif %}",
        "no field",
    ],
)
def test_any_other_template_is_rendered_by_jinja(source):
    assert plain_fields(row_environment(), source) is None
    template = RowTemplate(source, row_cases.CONTEXT)
    assert template.render_rows([{"a": 1, "items": 2, "keys": 3, "_x": 4}]) is None


class Unprintable:
    """A row value whose text cannot be made (``str()`` raises, quoting what it holds)."""

    def __str__(self) -> str:
        raise ValueError("holds +33612345678")


def test_a_value_that_cannot_be_printed_is_left_to_the_row_by_row_path():
    template = RowTemplate("Hi {{ row.name }}", row_cases.CONTEXT)
    rows = [{"recipient": "+33612345678", "name": Unprintable()}]
    with pytest.raises(RowTemplateError):
        template.render(rows[0])
    assert template.render_rows(rows) is None
