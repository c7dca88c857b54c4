"""Seeded random personalised sends for the equivalence tests of the column-by-column row checks
(``tests/rules/test_row_columns.py``, ``tests/rules/test_row_template_plain.py``).

Most cases start from the common shape (dict rows, E.164 French mobiles, plain texts, whole or
text keys) and some get one or more quirks the row-by-row path handles differently: other
number forms, odd keys, duplicates, own messages, non-dict rows, texts out of the plain
characters, template constructs other than plain fields. Everything comes from one
``random.Random``, so a seed names a case list.
"""

from __future__ import annotations

import random
from collections import OrderedDict, defaultdict
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.rules.row_template import RowTemplate
from airflow_provider_sms.rules.text import GSM7_BASIC, GSM7_EXTENSION

#: What the tests give a row template beside ``row`` (the task's Airflow context).
CONTEXT = {"ds": "2026-04-12", "params": {"greeting": "Salut"}}
#: Words of the common texts (GSM-7 basic, in every gateway's plain characters).
WORDS = ("Bonjour", "Salut", "votre", "commande", "livree", "le", "a", "12", "RDV", "ok", "Merci", "!", ".")
#: Characters the texts draw from now and then: every basic character, the extension, and some
#: that are out of GSM-7 (accents, emoji, controls, no-break space, tab).
BASIC = "".join(sorted(GSM7_BASIC))
EXTENSION = "".join(sorted(GSM7_EXTENSION))
OUTSIDE = "çêœ\u2019\u00a0\t😀\x07\x1b\x00€"
#: Lengths around the segment limits (160 / 153 per part, 10 parts) and Low Cost's one SMS.
EDGE_LENGTHS = (1, 70, 71, 153, 159, 160, 161, 306, 307, 459, 460, 1530, 1531)
#: Fields a template reads: plain names, and names Jinja reads differently on a dict.
FIELDS = ("first_name", "order", "day", "n2", "items", "keys", "_x", "get")
#: Chance of each quirk: with about a dozen quirks, a fair share of cases keeps the common shape.
QUIRK = 0.05


class RowMapping(Mapping[str, Any]):
    """A row that is a Mapping but not a dict (what a database cursor may hand over)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = dict(data)

    def __getitem__(self, name: str) -> Any:
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class RowDict(dict):  # type: ignore[type-arg]
    """A dict subclass row."""


# ------------------------------------------------------------------ numbers
#: Two-digit national prefixes wholly mobile in phonenumbers' metadata for France.
MOBILE_PREFIXES = (60, 61, 62, 64, 65, 66, 67, 68, 73, 74, 75, 76, 77, 78, 79)


def mobile(rng: random.Random) -> str:
    """A French mobile in E.164."""
    return french_e164(rng, rng.choice(MOBILE_PREFIXES))


def french_e164(rng: random.Random, prefix: int | None = None) -> str:
    """Any French E.164 number (``+33`` and 9 digits), of a 2-digit national ``prefix`` if given."""
    prefix = rng.randrange(10, 100) if prefix is None else prefix
    return f"+33{prefix:02d}{rng.randrange(10**7):07d}"


def fiction(rng: random.Random) -> str:
    """A number of the ARCEP or Ofcom fiction blocks."""
    if rng.random() < 0.5:
        return f"+3363998{rng.randrange(10**4):04d}"
    return f"+447700900{rng.randrange(1000):03d}"


def odd_number(rng: random.Random) -> object:
    """A number in another written form, or no usable number at all."""
    number = mobile(rng)
    forms: list[object] = [
        "0" + number[3:],
        " ".join(["+33", number[3], number[4:6], number[6:8], number[8:10], number[10:]]),
        f"0{number[3]} {number[4:6]} {number[6:8]} {number[8:10]} {number[10:]}",
        number + " ",
        f"+331{rng.randrange(10**8):08d}",  # a landline
        french_e164(rng),
        fiction(rng),
        "+447400123456",
        int(number[1:]),
        float(number[1:]),
        None,
        "",
        "abc",
        number[:-1],
        number + "0",
    ]
    return rng.choice(forms)


# ------------------------------------------------------------------ texts
def plain_text(rng: random.Random, length: int | None = None) -> str:
    """Words of the common texts (``length`` characters when given)."""
    if length is None:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))
    text = ""
    while len(text) < length:
        text += rng.choice(WORDS) + " "
    return text[: length - 1] + "x"


def text(rng: random.Random) -> object:
    """A message: mostly plain words, else one of the edge cases (lengths, characters, blank...)."""
    roll = rng.random()
    if roll < 0.6:
        return plain_text(rng)
    if roll < 0.7:
        return plain_text(rng, rng.choice(EDGE_LENGTHS))
    if roll < 0.8:
        return "".join(rng.choice(BASIC) for _ in range(rng.randint(1, 40)))
    if roll < 0.9:
        return _spliced(rng, plain_text(rng), rng.choice(EXTENSION + OUTSIDE))
    return rng.choice(["", " ", "\n", " \r\n ", "\t", 7, 7.5, True, b"bytes", "{{ 7*7 }}", "x\n"])


def _spliced(rng: random.Random, base: str, char: str) -> str:
    at = rng.randrange(len(base) + 1)
    return base[:at] + char + base[at:]


def value(rng: random.Random) -> object:
    """A row field a template prints."""
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(("Marie", "Jean", "Chloe", "Hugo", "Lea", "José", "Zoë"))
    if roll < 0.7:
        return rng.randrange(-5, 10**6)
    return rng.choice(
        [None, 2.5, 1e20, 3.0, float("nan"), True, False, Decimal("4.10"), "{{ 7*7 }}", "{0}", "{}", "",
         " ", "a}b{", "ç", "😀", "€", "x\x07", "%s", plain_text(rng, rng.choice(EDGE_LENGTHS))]
    )  # fmt: skip


# ------------------------------------------------------------------ templates
def template_source(rng: random.Random) -> str:
    """A row template: mostly plain fields between literal text, else any other construct."""
    pieces = []
    for _ in range(rng.randint(1, 5)):
        roll = rng.random()
        if roll < 0.3:
            pieces.append(rng.choice(WORDS) + rng.choice(("", " ", ", ", "\n")))
        elif roll < 0.75:
            field = _field(rng)
            pieces.append(
                rng.choice(("{{ row.%s }}", "{{row.%s}}", "{{ row['%s'] }}", '{{ row["%s"] }}')) % field
            )
        else:
            pieces.append(rng.choice(_OTHER_PIECES).replace("F", _field(rng)))
    source = "".join(pieces)
    return source + "\n" if rng.random() < 0.1 else source


def _field(rng: random.Random) -> str:
    return rng.choice(FIELDS[:4]) if rng.random() < 0.85 else rng.choice(FIELDS)


_OTHER_PIECES = (
    " {{- row.F -}} ",
    "  {{- row.F }}",
    "{{ row.F -}}\n ",
    "{{ row.F|upper }}",
    "{{ row.F ~ '!' }}",
    "{{ ds }}",
    "{{ params.greeting }}",
    "{{ '{' }}",
    "{ x }",
    "a}b",
    "{0}",
    "{# a comment #}",
    "{% raw %}{{ row.F }}{% endraw %}",
    "{% if row.F %}y{% endif %}",
    "{{ row }}",
    "{{ row.F.real }}",
    "{{ row[0] }}",
    "{{ 7*7 }}",
    "€",
    "ç",
)


def row_template(rng: random.Random) -> RowTemplate:
    """A :class:`RowTemplate` that parses (random sources that do not are drawn again)."""
    while True:
        try:
            return RowTemplate(template_source(rng), CONTEXT)
        except SmsValidationError:
            continue


# ------------------------------------------------------------------ rows
def template_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Dict rows with every template field, now and then one missing or of another value."""
    rows = []
    for i in range(count):
        row: dict[str, Any] = {"recipient": mobile(rng), "key": i}
        for field in FIELDS:
            if rng.random() < 0.99:
                row[field] = (
                    value(rng) if rng.random() < 0.1 else rng.choice(("Marie", "Hugo", i, f"{i:02d}/04"))
                )
        rows.append(row)
    return rows


def case(rng: random.Random) -> tuple[list[object], object]:
    """One send: its rows and the task's message (text, a :class:`RowTemplate`, ``None``...)."""
    count = rng.choice((1, 1, 2, 3, 4, 6, 9, 16))
    rows: list[dict[str, Any]] = template_rows(rng, count)
    _keys(rng, rows)
    message = _message(rng, rows)
    if rng.random() < QUIRK * 3:
        for row in rng.sample(rows, rng.randint(1, count)):
            row["recipient"] = odd_number(rng)
    if rng.random() < QUIRK:
        rng.choice(rows).pop("recipient")
    if rng.random() < QUIRK * 2:  # the same row twice (merged without keys, a key used twice with one)
        rows.insert(rng.randrange(count + 1), dict(rng.choice(rows)))
    if rng.random() < QUIRK:  # one number twice, texts or keys apart
        rng.choice(rows)["recipient"] = rows[0].get("recipient")
    entries: list[object] = list(rows)
    if rng.random() < QUIRK * 2:
        at = rng.randrange(len(entries))
        entries[at] = other_container(rng, rows[at])
    return entries, message


def _keys(rng: random.Random, rows: list[dict[str, Any]]) -> None:
    style = rng.choice(("int", "int", "str", "none", "none", "mixed", "odd"))
    for i, row in enumerate(rows):
        if style == "str":
            row["key"] = f"o-{i}"
        elif style == "none":
            del row["key"]
        elif style == "mixed":
            row["key"] = rng.choice((i, f"k{i}", None, str(i)))
            if row["key"] is None and rng.random() < 0.5:
                del row["key"]
        elif style == "odd" and rng.random() < 0.5:
            row["key"] = rng.choice(
                ("", " ", True, False, 3.0, 2.5, Decimal("7"), Decimal("7.5"), None, " k ", [1])
            )
    if rng.random() < QUIRK and len(rows) > 1:  # a key used twice
        rows[-1]["key"] = rows[0].get("key")


def _message(rng: random.Random, rows: list[dict[str, Any]]) -> object:
    """The task's message, and the rows' own ``message`` where they have one."""
    roll = rng.random()
    if roll < 0.45:
        return row_template(rng)
    if roll < 0.65:
        return text(rng)
    own = rng.choice(("all", "all", "some", "one_none"))
    for i, row in enumerate(rows):
        if own == "all" or (own == "some" and rng.random() < 0.5):
            row["message"] = text(rng) if rng.random() < 0.3 else plain_text(rng)
        elif own == "one_none" and i == 0:
            row["message"] = None
    return rng.choice((None, None, plain_text(rng), row_template(rng)))


def other_container(rng: random.Random, row: dict[str, Any]) -> object:
    """The row in another container: its number alone, a Mapping, an OrderedDict, a defaultdict, a dict subclass."""
    kind = rng.choice(("str", "mapping", "ordered", "default", "subclass"))
    if kind == "str":
        return row.get("recipient")
    if kind == "mapping":
        return RowMapping(row)
    if kind == "ordered":
        return OrderedDict(row)
    if kind == "default":
        return defaultdict(str, row)
    return RowDict(row)


def plain_texts(rng: random.Random, characters: str, length: int, count: int) -> list[str]:
    """``count`` non-blank texts of ``length`` characters drawn from ``characters`` (some of them
    mostly whitespace, to try the edges of "blank")."""
    spaces = "".join(c for c in characters if c.isspace())
    texts: list[str] = []
    while len(texts) < count:
        pool = spaces if spaces and rng.random() < 0.3 else characters
        chars = [rng.choice(pool) for _ in range(length)]
        chars[rng.randrange(length)] = rng.choice(characters)
        candidate = "".join(chars)
        if candidate.strip():
            texts.append(candidate)
    return texts
