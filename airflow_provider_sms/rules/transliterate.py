"""Characters a gateway's alphabet lacks: fail, replace by their closest GSM-7 form, or send UCS-2.

``unsupported_characters`` (send operator, hook sends, notifier) picks one of:

- ``"fail"``: a character outside the gateway's alphabet is a validation problem;
- ``"replace"``: each such character becomes its closest form in the alphabet
  (:data:`REPLACEMENTS`, else the accented letter's base letter); what has no form stays and is
  reported;
- ``"unicode"``: the text goes out in UCS-2 where the gateway can send it (refused elsewhere).

``None`` means the gateway's default (``GatewayCapabilities.unsupported_characters``). Pure: no
text is ever quoted back, only the characters and their counts.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from airflow_provider_sms.rules.text import GSM7_BASIC, GSM7_EXTENSION, describe_chars

if TYPE_CHECKING:
    from collections.abc import Container

#: Every character GSM-7 sends (basic table and extension).
GSM7_ALPHABET: frozenset[str] = GSM7_BASIC | GSM7_EXTENSION

UnsupportedCharacters = Literal["fail", "replace", "unicode"]
UNSUPPORTED_CHARACTERS: tuple[str, ...] = ("fail", "replace", "unicode")

#: Characters outside GSM-7 (or outside a gateway's smaller alphabet) -> their closest GSM-7 form.
#: Accented letters not listed here fall back to their base letter (``ê`` -> ``e``).
REPLACEMENTS: dict[str, str] = {
    "ç": "c",
    "Ç": "C",
    "œ": "oe",
    "Œ": "OE",
    "æ": "ae",
    "Æ": "AE",
    "ß": "ss",
    "ø": "o",
    "Ø": "O",
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",  # ‚
    "\u2032": "'",  # ′
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "«": '"',
    "»": '"',
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2010": "-",  # ‐ hyphen
    "\u2011": "-",  # ‑ non-breaking hyphen
    "\u2212": "-",  # − minus
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space (French punctuation)
    "\u2009": " ",  # thin space
    "\u2002": " ",  # en space
    "\u2003": " ",  # em space
    "\u2007": " ",  # figure space
    "\t": " ",
    "\u2026": "...",  # …
    "\u2022": "-",  # • bullet
    "€": "EUR",
    "[": "(",
    "]": ")",
    "`": "'",
    "´": "'",
}


@dataclass(frozen=True)
class PreparedText:
    """The text that will be sent and what was replaced in it.

    :param text: the text as it goes out.
    :param replaced: character -> how many times it was replaced (empty unless ``"replace"``).
    """

    text: str
    replaced: dict[str, int] = field(default_factory=dict)

    @property
    def replaced_count(self) -> int:
        """How many characters were replaced in all."""
        return sum(self.replaced.values())


def closest_form(char: str, alphabet: Container[str]) -> str | None:
    """``char``'s closest form made only of ``alphabet`` characters, or ``None`` when it has none."""
    candidates = [REPLACEMENTS.get(char)]
    if char.isalpha():
        candidates.append(
            "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        )
    for form in candidates:
        if form and all(c in alphabet for c in form):
            return form
    return None


def transliterate(text: str, alphabet: Container[str]) -> PreparedText:
    """``text`` with every character outside ``alphabet`` replaced by its :func:`closest_form`
    (characters without one are kept, for validation to report)."""
    parts: list[str] = []
    replaced: Counter[str] = Counter()
    for char in text:
        form = None if char in alphabet else closest_form(char, alphabet)
        if form is None:
            parts.append(char)
        else:
            parts.append(form)
            replaced[char] += 1
    return PreparedText("".join(parts), dict(replaced))


def outside_alphabet(text: str, alphabet: Container[str]) -> list[str]:
    """The characters of ``text`` outside ``alphabet``, in text order."""
    if isinstance(alphabet, frozenset | set) and alphabet.issuperset(text):  # the common case, in C
        return []
    return [c for c in text if c not in alphabet]


def unsupported_problems(
    text: str,
    mode: str,
    *,
    alphabet: Container[str],
    gateway: str,
    unicode: bool,
    refusal: str,
) -> list[str]:
    """What ``gateway`` refuses in ``text`` (already replaced when ``mode`` is ``"replace"``).

    :param unicode: the gateway can send UCS-2.
    :param refusal: how the gateway's refusal is named, e.g. ``"its code 31"``.
    """
    if mode == "unicode":
        if unicode:
            return []
        return [
            f"unsupported_characters='unicode': {gateway} publishes only its character list and "
            "cannot send Unicode (UCS-2); use 'replace' (closest GSM-7 form) or 'fail'"
        ]
    refused = outside_alphabet(text, alphabet)
    if not refused:
        return []
    if mode == "replace":
        return [
            f"message has characters {gateway} refuses that have no GSM-7 replacement: {describe_chars(refused)}"
        ]
    hint = "unsupported_characters='replace' sends their closest GSM-7 form"
    hint += ", 'unicode' sends UCS-2" if unicode else ""
    return [f"message has characters {gateway} refuses: {describe_chars(refused)} ({refusal}); {hint}"]
