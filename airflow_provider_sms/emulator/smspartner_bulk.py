"""SMS Partner API v1 ``POST /v1/bulk-send``: up to 500 different messages in one request.

Request-wide options (sender, gamme, tag, schedule, sandbox, isUnicode) are checked as ``/v1/send``
checks them and refuse the whole request; each ``SMSList`` entry is then accepted or refused on its
own. The accepted ones share the request's ``message_id`` and tag, are charged together (not enough
credit refuses the whole request) and are tracked like ``/v1/send`` messages
(``docs/vendor-apis.md``, "SMS Partner bulk-send" and assumptions A48 to A50).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from airflow_provider_sms.emulator.http_replies import STATE
from airflow_provider_sms.emulator.numbers import NUMBER_REJECTED, parse_number
from airflow_provider_sms.emulator.smspartner import (
    MAX_NUMBERS,
    MESSAGES,
    Entry,
    SendOptions,
    accept,
    authenticated,
    can_pay,
    error,
    ok,
    schedule_field,
    send_options,
    text_segments,
)

if TYPE_CHECKING:
    from collections.abc import Set


def _refusal(code: int, number: Any, message: str | None = None) -> dict[str, Any]:
    """A refused ``SMSResponse_List`` entry."""
    return {"success": False, "code": code, "message": message or MESSAGES[code], "phoneNumber": number}


def _entry(item: Any, options: SendOptions, stopped: Set[str]) -> Entry | dict[str, Any]:
    """Check one ``SMSList`` item: the message to accept, or its refusal (caller holds the lock).

    Codes: 2 no number, 9 not a mobile number, 43 / 52 / 42 the text (as ``/v1/send``), 14 on the
    STOP list, 13 ``NUMBER_REJECTED``.
    """
    raw = item.get("phoneNumber") if isinstance(item, dict) else None
    if raw is None or raw == "":
        return _refusal(2, raw)
    parsed = parse_number(raw)
    if parsed.kind != "mobile":
        return _refusal(9, raw, f"Le numéro {raw} n'est pas un numéro de mobile valide")
    segments, code = text_segments(item.get("message"), options)
    if code is not None:
        return _refusal(code, parsed.e164)
    if parsed.e164 in stopped:
        return _refusal(14, parsed.e164)
    if parsed.e164 == NUMBER_REJECTED:
        return _refusal(13, parsed.e164)
    return Entry(parsed.e164, item["message"], segments)


def _accepted(entry: Entry) -> dict[str, Any]:
    """An accepted ``SMSResponse_List`` entry, as the vendor's sample shows it."""
    return {
        "success": True,
        "code": 200,
        "nbSms": entry.segments,
        "cost": entry.cost,
        "phoneNumber": entry.recipient,
    }


@authenticated
async def bulk_send(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``POST /v1/bulk-send`` ``{"SMSList": [{"phoneNumber", "message"}, ...], <send options>}``.

    No list or an empty one: code 2; more than 500 entries: 50. One ``message_id`` for the request;
    ``SMSResponse_List`` has one entry per item, in order.
    """
    items = params.get("SMSList")
    if not isinstance(items, list) or not items:
        return error(2)
    if len(items) > MAX_NUMBERS:
        return error(50)
    state = request.app[STATE]
    options = send_options(params, state.clock())
    if isinstance(options, web.Response):
        return options
    with state.lock:
        stopped = {e.recipient for e in state.stops.values()}
        checked = [_entry(item, options, stopped) for item in items]
        entries = [c for c in checked if isinstance(c, Entry)]
        cost = round(sum(e.cost for e in entries), 3)
        if not can_pay(state, options, cost):
            return error(11)
        message_id = state.next_send_id()
        if entries:
            accept(request, state, message_id, entries, options)
    return ok(
        message_id=message_id,
        currency="EUR",
        cost=cost,
        nbSMS=sum(e.segments for e in entries),
        SMSResponse_List=[_accepted(c) if isinstance(c, Entry) else c for c in checked],
        **schedule_field(options),
    )


def add_routes(app: web.Application) -> None:
    """Register the ``/v1/bulk-send`` route."""
    app.router.add_post("/v1/bulk-send", bulk_send)
