"""Character rules and SMS segment counting, as each vendor applies them.

See ``docs/vendor-apis.md``, "Characters and segments". The emulator keeps its own tables rather than
importing the provider's, so a mistake in one shows up as a test failure instead of agreeing with
itself. It splits parts by plain division (``docs/vendor-apis.md``, assumption A37).
"""

from __future__ import annotations

import math

#: GSM 03.38 basic table (1 septet each), ESC excluded.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: GSM 03.38 extension table (ESC + one byte: 2 septets each).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

#: Primotexto's documented set plus space, LF and CR (``docs/vendor-apis.md``, assumption A14).
PRIMOTEXTO_ALLOWED = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@£_!$\"#èé%ù&ìò()*:+;,<-=ÑñÅ.>Üüåé/?à|^¤{}~\\'"
    " \n\r"
)

MAX_SEGMENTS = 10

# SMS Partner without ``isUnicode``: what the platform substitutes before counting
# (``docs/vendor-apis.md``, "SMS Partner characters").
_SMSPARTNER_SUBSTITUTIONS = str.maketrans(
    {
        "[": "(",
        "]": ")",
        "{": "(",
        "}": ")",
        "^": "",
        "~": "",
        "|": "",
        "\\": "",
        "¨": "",
        "§": "",
        "ç": "Ç",
        "ê": "e",
        "ë": "e",
        "â": "a",
        "ä": "a",
        "á": "a",
        "ã": "a",
        "ô": "o",
        "ö": "o",
        "ó": "o",
        "î": "i",
        "ï": "i",
        "û": "u",
        "ü": "u",
        "œ": "oe",
        "ñ": "n",
        "°": ".",
        "«": '"',
        "»": '"',
    }
)


def gsm7_septets(text: str) -> int:
    """Septets needed in GSM-7: extension characters count 2, everything else 1."""
    return len(text) + sum(1 for ch in text if ch in GSM7_EXTENSION)


def segments(length: int, single: int, multi: int) -> int:
    """Segments for ``length`` units: one if it fits ``single``, else ``ceil(length / multi)``."""
    if length <= single:
        return 1
    return math.ceil(length / multi)


def primotexto_invalid_chars(text: str) -> set[str]:
    """Characters Primotexto refuses with code 31."""
    return {ch for ch in text if ch not in PRIMOTEXTO_ALLOWED}


def primotexto_segments(text: str) -> int:
    """GSM-7 segments of a message made of Primotexto's allowed characters (160 / 153)."""
    return segments(gsm7_septets(text), 160, 153)


def smspartner_length(text: str, unicode: bool) -> tuple[int, int]:
    """Return ``(units, segments)`` as SMS Partner counts them.

    With ``isUnicode`` the units are UTF-16 code units (70 / 67). Without it the platform first
    replaces ``:br:`` / ``:euro:`` and substitutes the characters the vendor lists
    (``docs/vendor-apis.md``, "SMS Partner characters"), then counts GSM-7 septets (160 / 153); a
    character still outside GSM-7 counts as one (assumption A39).
    """
    if unicode:
        units = len(text.encode("utf-16-le")) // 2
        return units, segments(units, 70, 67)
    text = text.replace(":br:", "\r\n").replace(":euro:", "€").translate(_SMSPARTNER_SUBSTITUTIONS)
    units = gsm7_septets(text)
    return units, segments(units, 160, 153)
