"""Primotexto API v2 (``/v2/...``): the wire conventions, and the message routes.

Conventions shared with :mod:`~airflow_provider_sms.emulator.primotexto_account`: the
``X-Primotexto-ApiKey`` header, the error table, and error replies ``{"code": N, "message": "..."}``
with HTTP 400 for validation, 401 for code 72, 402 for 71, 403 for 70 / 92 and 404 for the "not
found" codes. The vendor does not document the HTTP status of each code, so this pairing is the
emulator's choice (``docs/vendor-apis.md``, assumptions A1 and A2). Routes here: sending, message
status and per-category stats.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from aiohttp import web

from airflow_provider_sms.emulator.commit import commit
from airflow_provider_sms.emulator.encoding import (
    MAX_SEGMENTS,
    primotexto_invalid_chars,
    primotexto_segments,
)
from airflow_provider_sms.emulator.http_replies import BAD_JSON, STATE, json_reply, payload
from airflow_provider_sms.emulator.numbers import FATES, NUMBER_REJECTED, parse_number
from airflow_provider_sms.emulator.state import PRIMOTEXTO, EmulatorState, Message

PRIMOTEXTO_API_KEY = "emu-primotexto-key"
API_KEY_HEADER = "X-Primotexto-ApiKey"

MESSAGES = {
    10: "no phone number provided",
    11: "invalid phone number syntax",
    12: "number blacklisted (unsubscribed)",
    13: "number blacklisted (user bounce)",
    15: "number already exists",
    16: "no message for this query",
    19: "phone number is fixed line",
    20: "invalid characters in sender",
    21: "sender too short",
    22: "sender too long",
    23: "full numeric sender not allowed",
    30: "no message content provided",
    31: "invalid characters in message",
    32: "message content too long",
    47: "campaign not found",
    60: "list not found",
    61: "invalid date format",
    62: "invalid scheduled date",
    70: "API access disabled",
    71: "insufficient credits",
    72: "authentication failed",
    73: "invalid JSON",
    76: "quota exceeded",
    90: "country not supported",
    91: "international mode needed",
    92: "blocked account",
}
_STATUS_BY_CODE = {70: 403, 71: 402, 72: 401, 16: 404, 47: 404, 60: 404, 92: 403}
_SENDER = re.compile(r"[A-Za-z0-9]+")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def natural_status(code: int) -> int:
    """The HTTP status the emulator pairs with a Primotexto error code."""
    return _STATUS_BY_CODE.get(code, 400)


def error(code: int, message: str | None = None, status: int | None = None) -> web.Response:
    """A Primotexto error reply."""
    body = {"code": code, "message": message or MESSAGES.get(code, "error")}
    return json_reply(body, status or natural_status(code))


def fault_body(status: int, message: str) -> dict[str, Any]:
    """Body of an injected 5xx / 429 (undocumented upstream: same shape, code = HTTP status)."""
    return {"code": status, "message": message}


def authenticated(handler: Handler) -> Handler:
    """Reply 401 code 72 unless the request carries the emulator's key."""

    @wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if request.headers.get(API_KEY_HEADER) != PRIMOTEXTO_API_KEY:
            return error(72)
        return await handler(request)

    return wrapper


def json_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The JSON object body (``{}`` when empty), or the code-73 reply for anything else."""
    body = payload(request)
    if body is None:
        return {}
    if body is BAD_JSON or not isinstance(body, dict):
        return error(73)
    return body


def _ms(epoch: float) -> int:
    return int(epoch * 1000)


# -- sending ---------------------------------------------------------------------------------
def _sender_error(sender: Any) -> int | None:
    """The error code of a bad ``sender`` (``None`` or ``""``: no sender, fine)."""
    if sender in (None, ""):
        return None
    if not isinstance(sender, str) or not _SENDER.fullmatch(sender):
        return 20
    if len(sender) < 3:
        return 21
    if len(sender) > 11:
        return 22
    return 23 if sender.isdigit() else None


def _validate_send(body: dict[str, Any], now: float) -> web.Response | tuple[str, int, float | None]:
    """Stateless checks at gateway time ``now``; returns ``(e164, segments, scheduled)`` (the
    schedule on the gateway's clock) or an error reply."""
    number = body.get("number")
    if number is None or number == "":
        return error(10)
    parsed = parse_number(number)
    if parsed.kind == "invalid":
        return error(11)
    if parsed.kind == "landline":
        return error(19)
    text = body.get("message")
    if not isinstance(text, str) or not text.strip():
        return error(30)
    bad = primotexto_invalid_chars(text)
    if bad:
        return error(31, f"invalid characters in message: {''.join(sorted(bad))}")
    segs = primotexto_segments(text)
    if segs > MAX_SEGMENTS:
        return error(32)
    sender_code = _sender_error(body.get("sender"))
    if sender_code is not None:
        return error(sender_code)
    date = body.get("date")
    scheduled: float | None = None
    if date is not None:
        if isinstance(date, bool) or not isinstance(date, int):
            return error(61)
        if date < _ms(now):
            return error(62)
        scheduled = date / 1000
    return parsed.e164, segs, scheduled


@authenticated
async def send(request: web.Request) -> web.StreamResponse:
    """``POST /v2/{notification|marketing}/messages/send``."""
    body = json_object(request)
    if isinstance(body, web.Response):
        return body
    state = request.app[STATE]
    offset = state.settings.clock_offset
    checked = _validate_send(body, time.time() + offset)
    if isinstance(checked, web.Response):
        return checked
    e164, segs, scheduled = checked
    with state.lock:
        if e164 in state.blacklists["unsubscribers"]:
            return error(12)
        if e164 in state.blacklists["bounces"]:
            return error(13)
        if e164 == NUMBER_REJECTED:
            return error(90)
        if state.primotexto_credits < segs:
            return error(71)
        snapshot_id = state.next_snapshot_id()
        fate = FATES.get(e164, "delivered")

        def apply(now: float) -> None:
            state.primotexto_credits -= segs
            start = now if scheduled is None else scheduled - offset
            message = Message(
                vendor=PRIMOTEXTO,
                message_id=snapshot_id,
                recipient=e164,
                text=body["message"],
                sender=body.get("sender") or None,
                category=_opt_str(body.get("category")),
                accepted_at=now,
                start_at=start,
                due_at=state.due_at(start, fate),
                fate=fate,
                segments=segs,
                cost=float(segs),
                marketing="/marketing/" in request.path,
                campaign_name=_opt_str(body.get("campaignName")),
            )
            state.add_message(message)

        commit(request, state, apply)
    return json_reply({"creditsUsed": float(segs), "snapshotId": snapshot_id})


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- status and statistics -------------------------------------------------------------------
def status_body(message: Message, now: float, offset: float = 0.0) -> dict[str, Any]:
    """The ``/messages/status`` object for one message at real time ``now``; dates on the gateway's
    clock (``offset`` seconds from real time)."""
    outcome = message.outcome(now)
    sent = _ms(message.start_at + offset)
    body: dict[str, Any] = {"id": int(message.message_id), "state": message.vendor_state(now), "sent": sent}
    body["submitted"] = sent
    if outcome is not None and message.due_at is not None:
        if outcome == "delivered":
            body["delivered"] = _ms(message.due_at + offset)
        body["stateDate"] = _ms(message.due_at + offset)
    else:
        body["stateDate"] = sent
    body["test"] = False
    return body


@authenticated
async def status(request: web.Request) -> web.StreamResponse:
    """``GET /v2/messages/status?snapshotId=`` or ``?identifier=`` (latest message to that number)."""
    state = request.app[STATE]
    snapshot = request.query.get("snapshotId", "").strip()
    identifier = request.query.get("identifier", "").strip()
    if snapshot:
        message = state.snapshots.get(snapshot)
    elif identifier:
        parsed = parse_number(identifier)
        if parsed.kind == "invalid":
            return error(11)
        message = state.latest_by_number.get(parsed.e164)
    else:
        return error(10, "snapshotId or identifier is required")
    if message is None:
        return error(16)
    return json_reply(status_body(message, time.time(), state.settings.clock_offset))


def own_messages(state: EmulatorState) -> list[Message]:
    """Every accepted Primotexto message (caller holds the lock)."""
    return [m for m in state.messages if m.vendor == PRIMOTEXTO]


@authenticated
async def category_stats(request: web.Request) -> web.StreamResponse:
    """``GET /v2/messages/stats?category=`` (all messages when ``category`` is absent)."""
    category = request.query.get("category")
    now = time.time()
    state = request.app[STATE]
    with state.lock:
        chosen = [m for m in own_messages(state) if category is None or m.category == category]
        outcomes = [m.outcome(now) for m in chosen]
    zero = ("openers", "clickers", "clicks", "opens", "replies", "complaint", "timespent")
    sent = sum(1 for m in chosen if m.start_at <= now)
    body = {
        "sent": sent,
        "submitted": sent,
        "delivered": outcomes.count("delivered"),
        **dict.fromkeys(zero, 0),
        "unsubscribers": outcomes.count("unsubscribed"),
        "errors": outcomes.count("error"),
        "bounced": outcomes.count("bounced"),
    }
    return json_reply(body)


def add_routes(app: web.Application) -> None:
    """Register the ``/v2`` message routes (sending, status, per-category stats)."""
    app.router.add_post("/v2/notification/messages/send", send)
    app.router.add_post("/v2/marketing/messages/send", send)
    app.router.add_get("/v2/messages/status", status)
    app.router.add_get("/v2/messages/stats", category_stats)
