"""Primotexto API v2 account routes: account counters and the two account blacklists.

The blacklists are ``unsubscribers`` (STOP) and ``bounces`` (NPAI), each under
``/v2/{list}/default/contacts`` (``docs/vendor-apis.md``, "Primotexto account blacklists").
"""

from __future__ import annotations

import time

from aiohttp import web

from airflow_provider_sms.emulator.http_replies import STATE, json_reply
from airflow_provider_sms.emulator.numbers import parse_number
from airflow_provider_sms.emulator.primotexto import authenticated, error, json_object, own_messages

_LISTS = "{list:unsubscribers|bounces}"


def _credits_value(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


@authenticated
async def account_stats(request: web.Request) -> web.StreamResponse:
    """``GET /v2/account/stats``: counters over every Primotexto message and the credits left."""
    now = time.time()
    state = request.app[STATE]
    with state.lock:
        messages = own_messages(state)
        sent = sum(1 for m in messages if m.start_at <= now)
        delivered = sum(1 for m in messages if m.outcome(now) == "delivered")
        bounced = {m.recipient for m in messages if m.outcome(now) == "bounced"}
        unsubscribed = {m.recipient for m in messages if m.outcome(now) == "unsubscribed"}
        bounces = len(bounced | set(state.blacklists["bounces"]))
        unsubscribers = len(unsubscribed | set(state.blacklists["unsubscribers"]))
        credits = state.primotexto_credits
    return json_reply(
        {
            "bounces": bounces,
            "credits": _credits_value(credits),
            "delivered": delivered,
            "sent": sent,
            "submitted": sent,
            "undelivered": sent - delivered,
            "unsubscribers": unsubscribers,
        }
    )


@authenticated
async def blacklist_add(request: web.Request) -> web.StreamResponse:
    """``POST /v2/{unsubscribers|bounces}/default/contacts`` ``{"identifier": ...}``."""
    body = json_object(request)
    if isinstance(body, web.Response):
        return body
    identifier = body.get("identifier")
    if identifier is None or identifier == "":
        return error(10)
    parsed = parse_number(identifier)
    if parsed.kind == "invalid":
        return error(11)
    state = request.app[STATE]
    with state.lock:
        entries = state.blacklists[request.match_info["list"]]
        if parsed.e164 in entries:
            return error(15)
        entry_id = entries[parsed.e164] = state.next_object_id()
    return json_reply({"id": entry_id})


@authenticated
async def blacklist_get(request: web.Request) -> web.StreamResponse:
    """``GET /v2/{unsubscribers|bounces}/default/contacts``."""
    state = request.app[STATE]
    with state.lock:
        entries = list(state.blacklists[request.match_info["list"]].items())
    return json_reply([{"deleted": False, "id": i, "identifier": number} for number, i in entries])


@authenticated
async def blacklist_delete(request: web.Request) -> web.StreamResponse:
    """``DELETE .../contacts?identifier=`` or ``DELETE .../contacts/{id}``: 204, or 404 code 16."""
    state = request.app[STATE]
    entry_id = request.match_info.get("entry_id")
    identifier = request.query.get("identifier", "").strip()
    with state.lock:
        entries = state.blacklists[request.match_info["list"]]
        if entry_id is not None:
            number = next((n for n, i in entries.items() if i == entry_id), None)
        elif identifier:
            parsed = parse_number(identifier)
            if parsed.kind == "invalid":
                return error(11)
            number = parsed.e164
        else:
            return error(10)
        if number is None or number not in entries:
            return error(16)
        del entries[number]
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    """Register the ``/v2`` account routes."""
    app.router.add_get("/v2/account/stats", account_stats)
    app.router.add_post(f"/v2/{_LISTS}/default/contacts", blacklist_add)
    app.router.add_get(f"/v2/{_LISTS}/default/contacts", blacklist_get)
    app.router.add_delete(f"/v2/{_LISTS}/default/contacts", blacklist_delete)
    app.router.add_delete(f"/v2/{_LISTS}/default/contacts/{{entry_id}}", blacklist_delete)
