"""SMS Partner API v1 status routes: one recipient, a list of pairs, a whole send, a whole tag.

Dates are ``YYYY-mm-dd HH:MM:SS`` Paris time in ``message-status`` and epoch seconds (as strings)
in the list replies (``docs/vendor-apis.md``, assumption A22), on the gateway's clock.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import phonenumbers

from airflow_provider_sms.emulator.http_replies import STATE, as_int
from airflow_provider_sms.emulator.numbers import national_format, parse_number
from airflow_provider_sms.emulator.smspartner import (
    MAX_NUMBERS,
    authenticated,
    error,
    ok,
    page_number,
    paris_datetime,
)
from airflow_provider_sms.emulator.state import SMSPARTNER, EmulatorState, Message

if TYPE_CHECKING:
    from aiohttp import web


@lru_cache(maxsize=4096)
def country_of(e164: str) -> str:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or "ZZ"


def _state_time(message: Message, now: float) -> float:
    """The real instant of the message's current state: its final time, else its start."""
    return message.due_at if message.outcome(now) is not None and message.due_at else message.start_at


def _list_date(state: EmulatorState, message: Message, now: float) -> str:
    """A list entry's ``date``: epoch seconds on the gateway's clock, as a string."""
    return str(int(state.shown(_state_time(message, now))))


def _find(state: EmulatorState, message_id: Any, number: Any) -> Message | None:
    mid = as_int(message_id)
    by_number = state.sends.get(mid) if mid is not None else None
    if not by_number:
        return None
    return by_number.get(parse_number(number).e164)


@authenticated
async def message_status(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``GET /v1/message-status?messageId=&phoneNumber=``."""
    if not params.get("messageId"):
        return error(3)
    if not params.get("phoneNumber"):
        return error(2)
    state = request.app[STATE]
    message = _find(state, params["messageId"], params["phoneNumber"])
    if message is None:
        return error(4)
    now = time.time()
    return ok(
        number=national_format(message.recipient),
        messageId=message.message_id,
        stopSms=message.outcome(now) == "unsubscribed",
        date=paris_datetime(state.shown(_state_time(message, now))),
        statut=message.vendor_state(now),
        cost=message.cost,
        countryCode=country_of(message.recipient),
        currency="EUR",
    )


@authenticated
async def multi_status(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``POST /v1/multi-status`` ``{"SMSStatut_List": [{"phoneNumber", "messageId"}, ...]}``.

    ``SMSStatus_List`` is accepted too (``docs/vendor-apis.md``, assumption A25).
    """
    items = params.get("SMSStatut_List", params.get("SMSStatus_List"))
    if not isinstance(items, list) or not items:
        return error(5)
    if len(items) > MAX_NUMBERS:
        return error(50)
    state = request.app[STATE]
    now = time.time()
    results = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        number, mid = item.get("phoneNumber"), item.get("messageId")
        message = _find(state, mid, number)
        if message is None:
            results.append(
                {
                    "success": False,
                    "code": 4,
                    "phoneNumber": number,
                    "messageId": mid,
                    "status": "Numéro introuvable",
                }
            )
            continue
        results.append(
            {
                "success": True,
                "code": 200,
                "phoneNumber": message.recipient,
                "messageId": int(message.message_id),
                "status": message.vendor_state(now),
                "date": _list_date(state, message, now),
                "stopSms": "1" if message.outcome(now) == "unsubscribed" else "0",
                "isSpam": "0",
            }
        )
    return ok(StatutResponse_List=results)


@authenticated
async def bulk_status(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``GET /v1/bulk-status?messageId=``: every recipient of one send."""
    if not params.get("messageId"):
        return error(3)
    mid = as_int(params["messageId"])
    state = request.app[STATE]
    with state.lock:
        messages = list(state.sends.get(mid, {}).values()) if mid is not None else []
    if not messages:
        return error(4)
    now = time.time()
    return ok(message_id=str(mid), StatutResponse_List=[_list_entry(state, m, now) for m in messages])


@authenticated
async def bulk_status_by_tag(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``GET /v1/bulk-status-by-tag?tag=[&page=]``: every recipient of the sends made with ``tag``.

    The tag is matched exactly, sandbox sends included, oldest message first; ``tag_page_size``
    entries per page, ``currentPage`` the page served, ``total`` the number of entries on all pages;
    a page past the end lists nothing. Missing tag: code 3; no send under it: 4
    (``docs/vendor-apis.md``, assumptions A32 and A47).
    """
    tag = params.get("tag")
    if not isinstance(tag, str) or not tag.strip():
        return error(3, "Le tag est requis")
    page = page_number(params)
    state = request.app[STATE]
    with state.lock:
        messages = [m for m in state.messages if m.vendor == SMSPARTNER and m.category == tag]
        size = state.settings.tag_page_size
    if not messages:
        return error(4, "Aucun message pour ce tag")
    messages.sort(key=lambda m: m.accepted_at)
    now = time.time()
    entries = [_list_entry(state, m, now) for m in messages[(page - 1) * size : page * size]]
    return ok(currentPage=page, total=len(messages), StatutResponse_List=entries)


def _list_entry(state: EmulatorState, message: Message, now: float) -> dict[str, Any]:
    """One ``StatutResponse_List`` entry of ``bulk-status`` / ``bulk-status-by-tag``."""
    return {
        "phoneNumber": message.recipient,
        "status": message.vendor_state(now),
        "stopSMS": message.outcome(now) == "unsubscribed",
        "date": _list_date(state, message, now),
    }


def add_routes(app: web.Application) -> None:
    """Register the ``/v1`` status routes."""
    app.router.add_get("/v1/message-status", message_status)
    app.router.add_post("/v1/multi-status", multi_status)
    app.router.add_get("/v1/bulk-status", bulk_status)
    app.router.add_get("/v1/bulk-status-by-tag", bulk_status_by_tag)
