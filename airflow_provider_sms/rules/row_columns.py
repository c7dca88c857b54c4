"""Rows checked column by column: the common shape of a large personalised send, in a few
passes in C, with exactly the answer of the row-by-row checks
(:func:`~airflow_provider_sms.rules.rows.check_rows`).

The common shape: every row a ``dict``; numbers already French mobiles in E.164
(:func:`~airflow_provider_sms.rules.numbers.all_ready_mobiles`); texts all from the rows'
``message`` or all from the task's (a ready text, or a template that only prints row fields:
:meth:`~airflow_provider_sms.rules.row_template.RowTemplate.render_rows`); texts of the gateway's
plain characters (:attr:`~airflow_provider_sms.hooks.gateway.Gateway.plain_characters`), one
checked per length; keys text or whole numbers; no two rows with one identity. Anything else,
a bad row included, returns ``None``: the row-by-row checks then say which row and why.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from itertools import repeat
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_sms.rules.numbers import all_ready_mobiles
from airflow_provider_sms.rules.row_template import RowTemplate
from airflow_provider_sms.rules.rows import (
    KEY,
    MESSAGE,
    RECIPIENT,
    CheckedRows,
    RowLabels,
    TextRules,
    identity_of,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow_provider_sms.rules.text import SegmentInfo


class PlainTextRules(TextRules, Protocol):
    """What the column checks need of the gateway beyond :class:`TextRules`."""

    @property
    def plain_characters(self) -> frozenset[str]:
        """Characters whose texts the gateway judges by length alone."""
        ...


def check_columns(
    entries: Sequence[object],
    message: object,
    gateway: PlainTextRules,
    unsupported_characters: str | None = None,
) -> CheckedRows | None:
    """The rows checked (:class:`~airflow_provider_sms.rules.rows.CheckedRows`, all valid, none
    merged), or ``None`` when they are not of the common shape (see the module docstring)."""
    if set(map(type, entries)) != {dict}:
        return None
    rows: Sequence[dict[str, Any]] = entries  # type: ignore[assignment]
    texts = _texts(rows, message)
    numbers = _column(rows, RECIPIENT)
    keys = _column(rows, KEY)
    if texts is None or not all_ready_mobiles(numbers) or not _plain_keys(keys):
        return None
    infos = _infos_by_length(texts, gateway, unsupported_characters)
    if infos is None:
        return None
    identities = _identities(keys, numbers, texts)  # type: ignore[arg-type]
    if len(set(identities)) != len(identities):
        return None  # merged rows or a key used twice: reported row by row
    lengths = list(map(len, texts))
    segments = list(map({n: info.segments for n, info in infos.items()}.__getitem__, lengths))
    longest = infos[lengths[segments.index(max(segments))]]  # the first text with the most segments
    return CheckedRows(
        order=identities,
        rows=dict(zip(identities, zip(numbers, texts, strict=True), strict=True)),  # type: ignore[arg-type]
        labels=RowLabels(
            identities,
            range(len(rows)),
            keys,
            segments,
            list(map({n: info.encoding for n, info in infos.items()}.__getitem__, lengths)),
        ),
        longest=longest,
        replaced=Counter(),
    )


def _texts(rows: Sequence[dict[str, Any]], message: object) -> list[str] | None:
    """Every row's text, all from the rows or all from the task; ``None`` when mixed or not text."""
    own = _column(rows, MESSAGE)
    kinds = set(map(type, own))
    if kinds == {type(None)}:
        if isinstance(message, RowTemplate):
            return message.render_rows(rows)
        return [message] * len(rows) if isinstance(message, str) else None
    return own if kinds == {str} else None  # type: ignore[return-value]


def _plain_keys(keys: Sequence[object]) -> bool:
    """Whether every key is absent, a whole number (``int``) or non-blank text."""
    kinds = set(map(type, keys))
    if not kinds <= {int, str, type(None)}:
        return False
    return str not in kinds or all(key.strip() for key in keys if type(key) is str)  # type: ignore[attr-defined]


def _infos_by_length(
    texts: Sequence[str], gateway: PlainTextRules, unsupported_characters: str | None
) -> dict[int, SegmentInfo] | None:
    """Length -> how a text of that length travels, where every text is non-blank, of the
    gateway's plain characters, and fine (one text checked per length); else ``None``."""
    if _not_plain(gateway.plain_characters).search("".join(texts)) or not all(map(str.strip, texts)):
        return None
    infos: dict[int, SegmentInfo] = {}
    for length, text in dict(zip(map(len, texts), texts, strict=True)).items():
        prepared = gateway.text_to_send(text, unsupported_characters)
        if prepared.text != text or gateway.message_problems(text, unsupported_characters):
            return None
        infos[length] = gateway.segments_of(text)
    return infos


def _identities(keys: Sequence[str | int | None], numbers: Sequence[str], texts: Sequence[str]) -> list[str]:
    if None not in set(keys):  # keys are int or str here: hashable
        return list(map("key:{}".format, keys))  # identity_of's form
    return list(map(identity_of, keys, numbers, texts))


def _column(rows: Sequence[dict[str, Any]], name: str) -> list[Any]:
    """Every row's ``name`` field (``None`` where it has none)."""
    return list(map(dict.get, rows, repeat(name)))


@functools.cache
def _not_plain(plain: frozenset[str]) -> re.Pattern[str]:
    """A character outside ``plain``."""
    return re.compile("[^" + "".join(re.escape(c) for c in sorted(plain)) + "]")
