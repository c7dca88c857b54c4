"""The provider's reply webhook as a hook sees it: its connection extras, its URL, and the
authenticated read of what it stored. Pure (no I/O): calls described as :class:`Call`, replies parsed.

A gateway that posts replies and STOPs to a URL (``GatewayCapabilities.replies_by_webhook``) is
given ``<public_base_url>/sms/webhook/<conn_id>/<webhook_secret>``; the provider's plugin stores
what arrives there in Airflow's metadata database, and the hook (in a worker or the triggerer,
which have no database access) lists it back over HTTP from
``<public_base_url>/sms/webhook/<conn_id>/events?after=<cursor>`` with the secret in the
:data:`SECRET_HEADER` header, never the gateway's API key. ``docs/inbound.md`` has the whole path.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks.reply_values import count_of, field, text_of
from airflow_provider_sms.hooks.settings import WEBHOOK_SECRET_HEADER, extra_error, is_loopback
from airflow_provider_sms.hooks.transport import Call
from airflow_provider_sms.model.results import INBOUND_KINDS, InboundMessage

if TYPE_CHECKING:
    from collections.abc import Generator, Mapping

    from airflow_provider_sms.hooks.settings import ConnectionSettings
    from airflow_provider_sms.model.results import InboundKind

#: Where the plugin serves the webhook (the app's ``/sms`` prefix, then the router's ``/webhook``).
WEBHOOK_PATH = "/sms/webhook"
#: The header carrying the secret on the events read.
SECRET_HEADER = WEBHOOK_SECRET_HEADER
#: Events one read page holds at most (the plugin's ceiling too).
EVENTS_PAGE_SIZE = 500
#: Pages one listing reads at most (250,000 events: far above what the retention keeps).
MAX_EVENT_PAGES = 500
#: A secret: 32 to 128 URL-safe characters (``secrets.token_urlsafe(32)`` gives 43).
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,128}")
#: Extras of a gateway with ``replies_by_webhook``.
WEBHOOK_EXTRAS = ("webhook_secret", "public_base_url")


#: A number as stored: E.164, ``+`` and 8 to 15 digits, not starting with 0.
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
#: Longest text kept (ten concatenated SMS of 160 characters).
MAX_TEXT_LENGTH = 1600
#: Control characters a text may hold (line breaks and tabs); any other is refused.
ALLOWED_CONTROLS = frozenset("\n\r\t")


@dataclass(frozen=True)
class InboundPost:
    """One reply or STOP a gateway posted, checked (what the webhook stores).

    :param kind: ``"reply"`` or ``"stop"``.
    :param number: the sender in E.164, as received (a leading ``+`` added when missing).
    :param text: what the sender wrote (may be empty for a STOP).
    :param reference: the gateway's id the post names (the send replied to), ``""`` when none.
    """

    kind: InboundKind
    number: str
    text: str
    reference: str = ""


def checked_post(kind: InboundKind, number: object, text: object, reference: object) -> InboundPost:
    """An :class:`InboundPost` from loosely typed values (a number as text or digits, with or
    without ``+``; an id as text or a number).

    :raises SmsValidationError: naming what is wrong, never quoting a value.
    """
    raw = text_of(number)
    digits = raw.strip() if raw is not None else ""
    e164 = digits if digits.startswith("+") else f"+{digits}"
    problems = []
    if not E164.fullmatch(e164):
        problems.append("phone_number is not an E.164 number")
    if text is None:
        text = ""
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
        problems.append(f"text must be a string of at most {MAX_TEXT_LENGTH} characters")
    elif any(_refused_character(c) for c in text):
        problems.append("text holds control characters")
    if problems:
        raise SmsValidationError(problems)
    ref = text_of(reference) or ""
    return InboundPost(kind, e164, str(text), ref[:64] if ref.isprintable() else "")


def _refused_character(character: str) -> bool:
    """A control, format-less surrogate or unassigned character (line breaks and tabs pass)."""
    return character not in ALLOWED_CONTROLS and unicodedata.category(character) in ("Cc", "Cs")


def parse_webhook_extras(extra: Mapping[str, Any], conn_id: str) -> dict[str, Any]:
    """``webhook_secret`` and ``public_base_url`` from a connection's extras (both or neither).

    :raises SmsConfigurationError: naming the extra at fault (never quoting the secret).
    """
    secret = extra.get("webhook_secret") or None
    base = extra.get("public_base_url") or None
    if secret is None and base is None:
        return {}
    if secret is None or base is None:
        missing = "webhook_secret" if secret is None else "public_base_url"
        raise extra_error(conn_id, missing, "is needed with the other webhook extra")
    if not isinstance(secret, str) or not SECRET_PATTERN.fullmatch(secret):
        raise extra_error(conn_id, "webhook_secret", "must be 32 to 128 letters, digits, '-' or '_'")
    parts = urlsplit(str(base).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise extra_error(conn_id, "public_base_url", "must be an http(s) URL without query")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise extra_error(conn_id, "public_base_url", "must use https unless it is a loopback host")
    return {
        "webhook_secret": secret,
        "public_base_url": f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}",
    }


def connection_path(conn_id: str) -> str:
    """The webhook's path prefix of one connection (below the api-server's base URL)."""
    return f"{WEBHOOK_PATH}/{quote(conn_id, safe='')}"


def webhook_url(settings: ConnectionSettings) -> str | None:
    """The URL the gateway posts this connection's replies to, ``None`` when not configured."""
    if settings.public_base_url is None or settings.webhook_secret is None:
        return None
    return f"{settings.public_base_url}{connection_path(settings.conn_id)}/{settings.webhook_secret}"


def events_call(conn_id: str, base_url: str, kind: InboundKind, after: int) -> Call:
    """One page of the events stored for ``conn_id``, after the cursor ``after``."""
    return Call(
        "GET",
        f"{connection_path(conn_id)}/events",
        params={"after": after, "kind": kind, "limit": EVENTS_PAGE_SIZE},
        operation="read the replies stored by the provider's webhook",
        base_url=base_url,
    )


def parse_events(reply: Any, kind: InboundKind) -> tuple[list[InboundMessage], int | None]:
    """The events of one page (of ``kind``) and the cursor of the next, ``None`` at the end."""
    raw = field(reply, "events")
    if not isinstance(raw, list):
        return [], None
    found = []
    for entry in raw:
        number, message_id = text_of(field(entry, "number")), text_of(field(entry, "id"))
        if field(entry, "kind") != kind or kind not in INBOUND_KINDS or number is None or message_id is None:
            continue
        found.append(
            InboundMessage(
                kind=kind,
                message_id=message_id,
                number=number,
                text=text if isinstance(text := field(entry, "text"), str) else None,
                received_at=text_of(field(entry, "received_at")),
            )
        )
    cursor = count_of(field(reply, "next"))
    return found, (cursor if raw else None)


def webhook_steps(
    settings: ConnectionSettings, kind: InboundKind
) -> Generator[Call, Any, list[InboundMessage]]:
    """Every stored event of ``kind``, oldest first, page after page."""
    assert settings.public_base_url is not None
    found: list[InboundMessage] = []
    after = 0
    for _ in range(MAX_EVENT_PAGES):
        page, cursor = parse_events(
            (yield events_call(settings.conn_id, settings.public_base_url, kind, after)), kind
        )
        found.extend(page)
        if cursor is None or cursor <= after:
            break
        after = cursor
    return found
