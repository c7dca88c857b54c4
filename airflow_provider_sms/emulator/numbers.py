"""Test phone numbers with a known fate, and the number rules the emulator applies.

The test numbers sit in the French fiction range 06 39 98 xx xx, which ARCEP keeps for films and
books, so they can never reach a real person. Every other valid mobile number is delivered once the
emulator's ``delivery_delay`` has passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers

#: Accepted; ends Primotexto ``bounced`` / SMS Partner ``Not delivered``.
NUMBER_BOUNCED = "+33639980001"
#: Accepted; ends Primotexto ``error`` / SMS Partner ``ko``.
NUMBER_ERROR = "+33639980002"
#: Accepted; stays pending forever (Primotexto ``sent`` / SMS Partner ``Waiting``).
NUMBER_NEVER_FINAL = "+33639980003"
#: Accepted; ends Primotexto ``unsubscribed`` / SMS Partner ``Not delivered`` with ``stopSms`` true.
NUMBER_UNSUBSCRIBED = "+33639980004"
#: Refused at send time (Primotexto HTTP 400 code 90, SMS Partner code 13); nothing is accepted.
NUMBER_REJECTED = "+33639980005"

Fate = Literal["delivered", "bounced", "error", "never", "unsubscribed"]

#: Final outcome of a message accepted for each special number (the rest are ``delivered``).
FATES: dict[str, Fate] = {
    NUMBER_BOUNCED: "bounced",
    NUMBER_ERROR: "error",
    NUMBER_NEVER_FINAL: "never",
    NUMBER_UNSUBSCRIBED: "unsubscribed",
}

NumberKind = Literal["mobile", "landline", "invalid"]

# French national significant numbers: 6/7 mobile; 1-5 and 9 geographic / VoIP; 8 special rates.
_FR_MOBILE = re.compile(r"[67]\d{8}")
_FR_OTHER = re.compile(r"[1-589]\d{8}")
_UK_DRAMA = "+447700900"  # Ofcom's drama range, unassigned (so invalid for phonenumbers) like ARCEP's
_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    """A recipient as the emulator understands it.

    :param e164: the number in E.164 (``+33612345678``), or the stripped input when invalid.
    :param kind: ``mobile`` (can receive SMS), ``landline`` (a real number that cannot) or ``invalid``.
    """

    e164: str
    kind: NumberKind


def parse_number(raw: object) -> ParsedNumber:
    """Parse a national (``0612345678``, region FR) or international number.

    French numbers are classified by their prefix alone (06/07 mobile, 01-05/08/09 not), so
    unassigned blocks such as the fiction range still count as mobile; so does Ofcom's drama range
    (+44 7700 900xxx). Other numbers use ``phonenumbers`` validity and type.
    """
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return ParsedNumber(text, "invalid")
    try:
        parsed = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return ParsedNumber(text, "invalid")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if parsed.country_code == 33:
        national = str(parsed.national_number)
        if _FR_MOBILE.fullmatch(national):
            return ParsedNumber(e164, "mobile")
        if _FR_OTHER.fullmatch(national):
            return ParsedNumber(e164, "landline")
        return ParsedNumber(text, "invalid")
    if e164.startswith(_UK_DRAMA) and len(e164) == 13:
        return ParsedNumber(e164, "mobile")
    if not phonenumbers.is_valid_number(parsed):
        return ParsedNumber(text, "invalid")
    kind: NumberKind = "mobile" if phonenumbers.number_type(parsed) in _MOBILE_TYPES else "landline"
    return ParsedNumber(e164, kind)


def national_format(e164: str) -> str:
    """French numbers as ``0612345678`` (as SMS Partner's ``message-status`` shows them); others unchanged."""
    if e164.startswith("+33") and len(e164) == 12:
        return "0" + e164[3:]
    return e164
