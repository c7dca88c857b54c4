"""Shared plumbing for the route modules: app keys, the parsed request body, JSON replies, and the
``Date`` header every reply carries (the gateway's clock)."""

from __future__ import annotations

import json
from email.utils import formatdate
from functools import partial
from typing import Any

from aiohttp import web

from airflow_provider_sms.emulator.faults import FaultSet
from airflow_provider_sms.emulator.state import EmulatorState

STATE = web.AppKey("state", EmulatorState)
FAULTS = web.AppKey("faults", FaultSet)

#: ``request[PAYLOAD]`` when the body was not valid JSON.
BAD_JSON: Any = object()
#: Request key holding the parsed JSON body (``None`` for an empty body), set by the middleware.
PAYLOAD = web.RequestKey("payload", object)

_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response in UTF-8 (the vendors send French text unescaped)."""
    return web.Response(text=_dumps(data), status=status, content_type="application/json", headers=headers)


async def stamp_date(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: ``Date`` on the gateway's clock (real time + ``clock_offset``)."""
    response.headers["Date"] = formatdate(request.app[STATE].clock(), usegmt=True)


def parse_body(raw: bytes) -> Any:
    """The JSON value of a request body; ``None`` when empty, :data:`BAD_JSON` when unparseable."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return BAD_JSON


def payload(request: web.Request) -> Any:
    """The parsed JSON body the middleware stored for this request."""
    return request.get(PAYLOAD)


def as_int(value: Any) -> int | None:
    """``value`` as an int when it is one or a string of digits (JSON clients send both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def truthy(value: Any) -> bool:
    """SMS Partner style flags: ``1``, ``"1"``, ``true``, ``"true"``."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)
