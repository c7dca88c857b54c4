"""Primotexto API v2 on the wire: accepted characters, error codes, delivery states, status
requests and replies. Pure: no I/O. ``docs/vendor-apis.md`` documents each fact."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsGatewayError,
    SmsInsufficientCreditError,
    SmsInvalidRequestError,
    SmsNotFoundError,
    SmsRecipientBlacklistedError,
    SmsServerError,
    SmsValidationError,
)
from airflow_provider_sms.hooks.gateway import LatestMessage
from airflow_provider_sms.hooks.reply_values import (
    count_of,
    field,
    flag_of,
    kind_of,
    message_id_of,
    number_of,
    text_of,
    unusable,
)
from airflow_provider_sms.hooks.transport import Call
from airflow_provider_sms.model.results import BlacklistEntry, DeliveryStatus, InboundMessage
from airflow_provider_sms.rules.clock import epoch_of_object_id, iso_from_epoch

if TYPE_CHECKING:
    from airflow_provider_sms.model.results import DeliveryState

#: Characters Primotexto accepts in a message (its published list) plus space, LF and CR.
PRIMOTEXTO_CHARS: frozenset[str] = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "@£_!$\"#èé%ù&ìò()*:+;,<-=ÑñÅ.>Üüåé/?à|^¤{}~\\' \n\r"
)

_NAME = "Primotexto"
_READ_STATUS = "read a message status"

_AUTH, _CREDIT, _INVALID = SmsAuthenticationError, SmsInsufficientCreditError, SmsInvalidRequestError
_BLACKLISTED, _NOT_FOUND = SmsRecipientBlacklistedError, SmsNotFoundError

#: Primotexto error codes (``docs/vendor-apis.md``, "Primotexto error codes").
PRIMOTEXTO_ERROR_CODES: dict[int, tuple[type[SmsGatewayError], str]] = {
    10: (_INVALID, "no phone number provided"),
    11: (_INVALID, "invalid phone number syntax"),
    12: (_BLACKLISTED, "number blacklisted (unsubscribed)"),
    13: (_BLACKLISTED, "number blacklisted (user bounce)"),
    14: (_BLACKLISTED, "number blacklisted (global bounce)"),
    15: (_INVALID, "number already exists"),
    16: (_NOT_FOUND, "no message for this query"),
    17: (_INVALID, "too many fields selected"),
    18: (_INVALID, "file too large"),
    19: (_INVALID, "phone number is a fixed line"),
    20: (_INVALID, "invalid characters in sender"),
    21: (_INVALID, "sender too short"),
    22: (_INVALID, "sender too long"),
    23: (_INVALID, "fully numeric sender not allowed"),
    30: (_INVALID, "no message content provided"),
    31: (_INVALID, "invalid characters in message"),
    32: (_INVALID, "message content too long"),
    40: (_INVALID, "invalid campaign name"),
    41: (_INVALID, "invalid campaign programming time"),
    42: (_INVALID, "campaign cannot be deleted"),
    43: (_INVALID, "campaign cannot be cancelled"),
    44: (_CREDIT, "free-mode campaign limit reached"),
    45: (_INVALID, "invalid campaign tag"),
    46: (_INVALID, "tag already exists"),
    47: (_NOT_FOUND, "campaign not found"),
    48: (_INVALID, "invalid campaign send list"),
    60: (_NOT_FOUND, "list not found"),
    61: (_INVALID, "invalid date format"),
    62: (_INVALID, "invalid scheduled date"),
    70: (_AUTH, "API access disabled"),
    71: (_CREDIT, "insufficient credits"),
    72: (_AUTH, "authentication failed (bad API key)"),
    73: (_INVALID, "invalid JSON"),
    74: (_INVALID, "contacts POST limit reached"),
    75: (_INVALID, "identifiers column not found"),
    76: (_CREDIT, "quota exceeded"),
    90: (_INVALID, "country not supported"),
    91: (_INVALID, "international mode needed for this number"),
    92: (_AUTH, "blocked account"),
    93: (_AUTH, "user not found"),
    94: (_AUTH, "user info not retrievable"),
    95: (_AUTH, "unable to create account"),
    120: (_INVALID, "automation: invalid campaign"),
    121: (_INVALID, "automation: invalid contact"),
    1000: (SmsServerError, "unknown error"),
}

#: Raw Primotexto state -> normalised state. Unknown states count as pending.
PRIMOTEXTO_STATES: dict[str, DeliveryState] = {
    "sent": "pending",
    "submitted": "pending",
    "delivered": "delivered",
    "opened": "delivered",
    "reply": "delivered",
    "error": "error",
    "bounced": "bounced",
    "unsubscribed": "unsubscribed",
}


def _epoch_from_ms(value: Any) -> float | None:
    """Epoch seconds of a time in epoch milliseconds (a number or its text); ``None`` when not one."""
    millis = number_of(value)
    if millis is None or not 0 < millis < 1e15:
        return None
    return millis / 1000


def _iso_from_ms(value: Any) -> str | None:
    seconds = _epoch_from_ms(value)
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()


def status_call(message_id: str | None, recipient: str | None) -> Call:
    """Build the status request: by ``snapshotId`` when known, else the latest message to a number."""
    if message_id:
        params = {"snapshotId": str(message_id)}
    elif recipient:
        params = {"identifier": recipient}
    else:
        raise SmsValidationError(["get_delivery_status needs a message_id or a recipient"])
    return Call("GET", "/v2/messages/status", params=params, operation="read a message status")


def parse_status(payload: Any, message_id: str | None, recipient: str | None) -> DeliveryStatus:
    """Turn a ``/messages/status`` reply into a :class:`DeliveryStatus`.

    :raises SmsServerError: the reply is not an object with a ``state`` (a status read from it
        would be made up: reconciliation would take "no state" for "our message landed").
    """
    if not isinstance(payload, Mapping):
        raise unusable(_NAME, _READ_STATUS, kind_of(payload))
    raw = text_of(field(payload, "state"))
    if raw is None:
        raise unusable(_NAME, _READ_STATUS, "a JSON object without a state")
    return DeliveryStatus(
        message_id=str(message_id) if message_id else message_id_of(field(payload, "id")),
        recipient=recipient,
        state=PRIMOTEXTO_STATES.get(raw.lower(), "pending"),
        vendor_state=raw,
        updated_at=_iso_from_ms(field(payload, "stateDate")),
    )


def parse_latest(payload: Any) -> LatestMessage:
    """The latest message to a number, from a ``/messages/status?identifier=`` reply: its ``id``
    and when it was created (``sent``, else ``submitted``; never ``stateDate``, which moves when
    an old message changes state), epoch seconds on the gateway's clock (A54).

    :raises SmsServerError: the reply is not an object.
    """
    if not isinstance(payload, Mapping):
        raise unusable(_NAME, _READ_STATUS, kind_of(payload))
    created = _epoch_from_ms(field(payload, "sent"))
    if created is None:
        created = _epoch_from_ms(field(payload, "submitted"))
    return LatestMessage(message_id_of(field(payload, "id")), created)


def not_found_status(message_id: str | None, recipient: str | None) -> DeliveryStatus:
    """The gateway does not know this message (yet): keep waiting (an assumption, see the docs)."""
    return DeliveryStatus(
        message_id=message_id, recipient=recipient, state="pending", vendor_state="not_found"
    )


def blacklist_call(list_type: str) -> Call:
    """Read a whole account list (``/v2/{list}/default/contacts``)."""
    return Call("GET", f"/v2/{list_type}/default/contacts", operation=f"read the {list_type} list")


def parse_blacklist(reply: Any) -> list[BlacklistEntry]:
    """The live entries of an account list (entries flagged ``deleted`` are left out, and so are
    entries without an id or a number).

    :raises SmsServerError: the reply is not a list.
    """
    if not isinstance(reply, list):
        raise unusable(_NAME, "read a list", kind_of(reply))
    entries = []
    for item in reply:
        entry_id, number = text_of(field(item, "id")), text_of(field(item, "identifier"))
        if entry_id and number and not flag_of(field(item, "deleted")):
            entries.append(BlacklistEntry(id=entry_id, recipient=number))
    return entries


def replies_call(category: str | None) -> Call:
    """``GET /v2/messages/replies[?category=]``: the replies received (for a category)."""
    params = {"category": category} if category else {}
    return Call("GET", "/v2/messages/replies", params=params, operation="read the replies")


def parse_replies(reply: Any, category: str | None) -> list[InboundMessage]:
    """Replies ``[{"id", "identifier", "message"}]``; the time comes from a ``date`` field (epoch
    ms) when there is one, else from the id's leading timestamp (a Mongo-style id, A44)."""
    if not isinstance(reply, list):
        raise unusable(_NAME, "read the replies", kind_of(reply))
    found = []
    for item in reply:
        reply_id = text_of(field(item, "id"))
        if reply_id is None:
            continue
        received = _iso_from_ms(field(item, "date")) or iso_from_epoch(epoch_of_object_id(reply_id))
        found.append(
            InboundMessage(
                kind="reply",
                message_id=reply_id,
                number=text_of(field(item, "identifier")) or "",
                text=_text(field(item, "message")),
                category=text_of(field(item, "category")) or category,
                received_at=received,
            )
        )
    return found


def _text(value: Any) -> str:
    """A reply's text: a string as sent (spaces kept), a number as text, anything else empty."""
    return value if isinstance(value, str) else (text_of(value) or "")


def category_stats_call(category: str) -> Call:
    """``GET /v2/messages/stats?category=``: one category's figures (sent, delivered, errors...)."""
    return Call(
        "GET", "/v2/messages/stats", params={"category": category}, operation="read a category's figures"
    )


def parse_category_stats(reply: Any) -> dict[str, int]:
    """The numeric figures of a ``/messages/stats`` reply, keys in lower case (fields that are not
    whole numbers, such as ``"n/a"``, are dropped; ``"12"`` and ``12.0`` count as 12).

    :raises SmsServerError: the reply is not an object.
    """
    if not isinstance(reply, Mapping):
        raise unusable(_NAME, "read a category's figures", kind_of(reply))
    figures = {}
    for key, value in reply.items():
        count = count_of(value)
        if count is not None:
            figures[str(key).lower()] = count
    return figures


def parse_account_stats(reply: Any) -> dict[str, Any]:
    """``/account/stats``: the counters as given, ``credits`` read as a number (``None`` when the
    reply has none that reads as one).

    :raises SmsServerError: the reply is not an object.
    """
    if not isinstance(reply, Mapping):
        raise unusable(_NAME, "read the account stats", kind_of(reply))
    credits = field(reply, "credits")
    if isinstance(credits, bool) or not isinstance(credits, int):
        credits = number_of(credits)  # 279.5, "279", "279,5"; None when absent or unreadable
    return {**{str(k): v for k, v in reply.items()}, "credits": credits}
