"""Inspection and control routes under ``/_emulator/`` (no authentication, JSON in and out)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from aiohttp import web

from airflow_provider_sms.emulator import external
from airflow_provider_sms.emulator.faults import rule_from_json
from airflow_provider_sms.emulator.http_replies import BAD_JSON, FAULTS, STATE, json_reply, parse_body
from airflow_provider_sms.emulator.inbound import inject
from airflow_provider_sms.emulator.state import VENDORS

PREFIX = "/_emulator"
_CONFIG_FIELDS = ("delivery_delay", "latency_ms", "credits", "clock_offset", "tag_page_size")
_INJECT_FIELDS = ("vendor", "number", "text", "seconds_ago", "state", "category", "sender")
_STATE_FIELDS = ("vendor", "message_id", "state", "number", "seconds_ago")


def _bad_request(message: str) -> web.Response:
    return json_reply({"error": message}, 400)


def _vendor_filter(request: web.Request) -> str | None | web.Response:
    vendor = request.query.get("vendor") or None
    if vendor is not None and vendor not in VENDORS:
        return _bad_request(f"vendor must be one of {', '.join(VENDORS)}")
    return vendor


async def _json_body(request: web.Request) -> Any:
    return parse_body(await request.read())


async def _object_body(request: web.Request, fields: tuple[str, ...]) -> dict[str, Any] | web.Response:
    """The JSON object body with only ``fields`` in it, or the 400 reply saying what is wrong."""
    body = await _json_body(request)
    if body is BAD_JSON or not isinstance(body, dict):
        return _bad_request("the body must be a JSON object")
    unknown = set(body) - set(fields)
    if unknown:
        return _bad_request(f"unknown field(s): {', '.join(sorted(unknown))}")
    return body


async def health(request: web.Request) -> web.Response:
    """``GET /_emulator/health``: liveness plus a few counters and the settings in force."""
    state = request.app[STATE]
    with state.lock:
        counts = {
            "requests": len(state.request_log),
            "messages": len(state.messages),
            "pending_commits": state.pending_commits,
        }
    return json_reply({"status": "ok", **counts, "config": state.describe()})


async def requests_(request: web.Request) -> web.Response:
    """``GET /_emulator/requests[?vendor=&path=]``: what the emulator received, keys redacted."""
    vendor = _vendor_filter(request)
    if isinstance(vendor, web.Response):
        return vendor
    path = request.query.get("path") or None
    return json_reply(request.app[STATE].request_records(vendor, path))


async def messages(request: web.Request) -> web.Response:
    """``GET /_emulator/messages[?vendor=]``: every accepted (recipient, message) pair."""
    vendor = _vendor_filter(request)
    if isinstance(vendor, web.Response):
        return vendor
    return json_reply(request.app[STATE].message_records(vendor))


async def faults_get(request: web.Request) -> web.Response:
    """``GET /_emulator/faults``: the active rules with their ``seen`` / ``applied`` counters."""
    return json_reply(request.app[FAULTS].describe())


async def faults_add(request: web.Request) -> web.Response:
    """``POST /_emulator/faults``: add one rule (same fields as ``GatewayEmulator.add_fault``)."""
    try:
        rule = rule_from_json(await _json_body(request))
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    request.app[FAULTS].add(rule)
    return json_reply(rule.to_dict(), 201)


async def faults_clear(request: web.Request) -> web.Response:
    """``DELETE /_emulator/faults``: remove every rule."""
    request.app[FAULTS].clear()
    return json_reply({"ok": True})


async def reset(request: web.Request) -> web.Response:
    """``POST /_emulator/reset``: initial state and settings, no faults, no records."""
    request.app[STATE].reset()
    request.app[FAULTS].clear()
    return json_reply({"ok": True})


async def config_get(request: web.Request) -> web.Response:
    """``GET /_emulator/config``: settings in force and live balances."""
    return json_reply(request.app[STATE].describe())


async def config_set(request: web.Request) -> web.Response:
    """``POST /_emulator/config`` ``{"delivery_delay", "latency_ms", "credits", "clock_offset",
    "tag_page_size"}`` (each optional)."""
    body = await _object_body(request, _CONFIG_FIELDS)
    if isinstance(body, web.Response):
        return body
    try:
        return json_reply(request.app[STATE].configure(**body))
    except ValueError as exc:
        return _bad_request(str(exc))


async def inbound(request: web.Request) -> web.Response:
    """``POST /_emulator/inbound`` ``{"vendor", "number", "text", "category", "posts"}``: a reply from a
    number (a text starting with STOP also lists the number; an SMS Partner reply is posted to the
    ``urlResponse`` of the latest message to that number, ``posts`` times); 201 with what was stored."""
    body = await _object_body(request, ("vendor", "number", "text", "category", "posts"))
    if isinstance(body, web.Response):
        return body
    posts = body.get("posts", 1)
    if isinstance(posts, bool) or not isinstance(posts, int):
        return _bad_request("posts must be a whole number")
    try:  # in a worker thread: posting to the webhook must not hold the server's loop
        stored = await asyncio.get_running_loop().run_in_executor(
            None,
            functools.partial(
                inject,
                request.app[STATE],
                str(body.get("vendor")),
                str(body.get("number") or ""),
                body.get("text"),  # type: ignore[arg-type]  # checked by inject
                body.get("category"),  # type: ignore[arg-type]
                posts,
            ),
        )
    except ValueError as exc:
        return _bad_request(str(exc))
    return json_reply(stored, 201)


async def message_add(request: web.Request) -> web.Response:
    """``POST /_emulator/messages`` ``{"vendor", "number", "text", "seconds_ago", "state", "category",
    "sender"}`` (``vendor`` and ``number`` required): a message another system sent; 201 with it."""
    body = await _object_body(request, _INJECT_FIELDS)
    if isinstance(body, web.Response):
        return body
    try:
        kwargs = {k: v for k, v in body.items() if k not in ("vendor", "number", "state")}
        record = external.inject_message(
            request.app[STATE],
            body.get("vendor", ""),
            body.get("number", ""),
            state_name=body.get("state"),
            **kwargs,
        )
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    return json_reply(record, 201)


async def message_state(request: web.Request) -> web.Response:
    """``POST /_emulator/messages/state`` ``{"vendor", "message_id", "state", "number",
    "seconds_ago"}``: a message reaches ``state`` at that time; 404 when there is no such message."""
    body = await _object_body(request, _STATE_FIELDS)
    if isinstance(body, web.Response):
        return body
    try:
        record = external.set_message_state(
            request.app[STATE],
            body.get("vendor", ""),
            body.get("message_id", ""),
            body.get("state", ""),
            number=body.get("number"),
            seconds_ago=body.get("seconds_ago", 0.0),
        )
    except LookupError as exc:
        return json_reply({"error": str(exc)}, 404)
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    return json_reply(record)


def add_routes(app: web.Application) -> None:
    """Register the ``/_emulator`` routes."""
    app.router.add_get(f"{PREFIX}/health", health)
    app.router.add_get(f"{PREFIX}/requests", requests_)
    app.router.add_get(f"{PREFIX}/messages", messages)
    app.router.add_post(f"{PREFIX}/messages", message_add)
    app.router.add_post(f"{PREFIX}/messages/state", message_state)
    app.router.add_get(f"{PREFIX}/faults", faults_get)
    app.router.add_post(f"{PREFIX}/faults", faults_add)
    app.router.add_delete(f"{PREFIX}/faults", faults_clear)
    app.router.add_post(f"{PREFIX}/reset", reset)
    app.router.add_get(f"{PREFIX}/config", config_get)
    app.router.add_post(f"{PREFIX}/config", config_set)
    app.router.add_post(f"{PREFIX}/inbound", inbound)
