"""SMS Partner API v1 account routes: credits, cost summary, STOP list, sub-accounts."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.emulator.http_replies import STATE, as_int
from airflow_provider_sms.emulator.numbers import parse_number
from airflow_provider_sms.emulator.smspartner import (
    PARIS,
    PRICE_PER_SEGMENT,
    authenticated,
    error,
    ok,
    page_number,
    paris_datetime,
    validation_error,
)
from airflow_provider_sms.emulator.state import SMSPARTNER, StopEntry

if TYPE_CHECKING:
    from aiohttp import web

SUBACCOUNTS_PER_PAGE = 20
_MONTHS = "january february march april may june july august september october november december".split()


@authenticated
async def me(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``GET /v1/me``: balance (EUR) and how many SMS it buys."""
    state = request.app[STATE]
    now = time.time()
    with state.lock:
        balance = state.smspartner_balance
        to_send = sum(
            1 for m in state.messages if m.vendor == SMSPARTNER and m.start_at > now and not m.cancelled
        )
    sms = int(round(balance, 3) / PRICE_PER_SEGMENT)
    solde = f"{balance:.3f}"
    credits = {
        "creditSms": sms,
        "creditSmsECO": sms,
        "creditHlr": 0,
        "toSend": to_send,
        "solde": solde,
        "currency": "EUR",
        "balance": solde,
    }
    user = {"username": "emulator@example.invalid", "firstname": "Emu", "lastname": "Lator"}
    return ok(user=user, credits=credits)


@authenticated
async def cost_resume(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``GET /v1/statistics/cost-resume``: one entry per month with SMS Partner sends (``interval`` ignored)."""
    state = request.app[STATE]
    months: dict[tuple[int, int], list[float]] = {}
    with state.lock:
        for m in state.messages:
            if m.vendor == SMSPARTNER and not m.sandbox:
                when = datetime.fromtimestamp(state.shown(m.accepted_at), PARIS)
                total = months.setdefault((when.year, when.month), [0.0, 0])
                total[0] += m.cost
                total[1] += 1
    datas = [
        {
            "month": _MONTHS[month - 1],
            "year": str(year),
            "m": f"{month:02d}",
            "date": int(datetime(year, month, 1, tzinfo=PARIS).timestamp()),
            "type": "month",
            "cost": f"{cost:.3f}",
            "nb_send": str(int(count)),
        }
        for (year, month), (cost, count) in sorted(months.items())
    ]
    return ok(datas=datas)


@authenticated
async def stop_list(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``GET /v1/stop-sms/list``."""
    state = request.app[STATE]
    with state.lock:
        entries = sorted(state.stops.values(), key=lambda e: e.id)
    data = [
        {"id": e.id, "phoneNumber": e.recipient, "createdAt": paris_datetime(state.shown(e.created_at))}
        for e in entries
    ]
    return ok(nbData=len(data), data=data)


@authenticated
async def stop_add(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``POST /v1/stop-sms/add`` ``{"phoneNumber": ...}``."""
    raw = params.get("phoneNumber")
    if raw is None or raw == "":
        return error(2)
    parsed = parse_number(raw)
    if parsed.kind == "invalid":
        return validation_error("phoneNumber", [f"Le numéro {raw} n'est pas valide"])
    state = request.app[STATE]
    with state.lock:
        if any(e.recipient == parsed.e164 for e in state.stops.values()):
            return error(15)
        stop_id = state.next_stop_id()
        state.stops[stop_id] = StopEntry(stop_id, parsed.e164, time.time())
    return ok(stopId=stop_id)


@authenticated
async def stop_delete(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``GET /v1/stop-sms/delete?id=``."""
    if params.get("id") in (None, ""):
        return error(3)
    stop_id = as_int(params["id"])
    state = request.app[STATE]
    with state.lock:
        if stop_id is None or state.stops.pop(stop_id, None) is None:
            return error(4, "Identifiant introuvable")
    return ok()


@authenticated
async def subaccount_list(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``GET /v1/subaccount/list?page=N``: 20 per page; a page past the end has empty ``data``."""
    page = page_number(params)
    subaccounts = request.app[STATE].subaccounts
    start = (page - 1) * SUBACCOUNTS_PER_PAGE
    data = subaccounts[start : start + SUBACCOUNTS_PER_PAGE]
    return ok(total=len(subaccounts), nb_per_page=SUBACCOUNTS_PER_PAGE, page=page, data=data)


def add_routes(app: web.Application) -> None:
    """Register the ``/v1`` account routes."""
    app.router.add_get("/v1/me", me)
    app.router.add_get("/v1/statistics/cost-resume", cost_resume)
    app.router.add_get("/v1/stop-sms/list", stop_list)
    app.router.add_post("/v1/stop-sms/add", stop_add)
    app.router.add_get("/v1/stop-sms/delete", stop_delete)
    app.router.add_get("/v1/subaccount/list", subaccount_list)
