"""The middleware every ``/v1`` and ``/v2`` request goes through.

It reads the body, records the request (API key redacted), applies the global latency and the
fault rules, then lets the route handler run, or replies / drops the connection instead.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from http import HTTPStatus
from typing import Any

from aiohttp import web

from airflow_provider_sms.emulator import primotexto, smspartner
from airflow_provider_sms.emulator.commit import COMMIT_AT
from airflow_provider_sms.emulator.faults import (
    ACCEPT_THEN_DROP,
    ACCEPT_THEN_ERROR,
    COMMIT_DELAY,
    DROP,
    LATENCY,
    RATE_LIMIT,
    RAW_REPLY,
    SERVER_ERROR,
    Decision,
    FaultRule,
)
from airflow_provider_sms.emulator.http_replies import (
    BAD_JSON,
    FAULTS,
    PAYLOAD,
    STATE,
    json_reply,
    parse_body,
)
from airflow_provider_sms.emulator.state import PRIMOTEXTO, SMSPARTNER, iso_utc

log = logging.getLogger(__name__)

REDACTED = "***"
_SECRETS = (primotexto.PRIMOTEXTO_API_KEY, smspartner.SMSPARTNER_API_KEY)
_KEY_NAMES = {"apikey", primotexto.API_KEY_HEADER.lower()}
_KEY_IN_TEXT = re.compile(r"(?i)(apikey[\"']?\s*[:=]\s*[\"']?)[^\"'&,;\s}]+")


def vendor_of(path: str) -> str | None:
    """``primotexto`` for ``/v2/...``, ``smspartner`` for ``/v1/...``, else ``None``."""
    if path.startswith("/v2/"):
        return PRIMOTEXTO
    if path.startswith("/v1/"):
        return SMSPARTNER
    return None


def redact(value: Any) -> Any:
    """Replace API keys (by field name or by value) with ``***`` in a query, body or text."""
    if isinstance(value, dict):
        return {k: REDACTED if str(k).lower() in _KEY_NAMES else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        for secret in _SECRETS:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return _KEY_IN_TEXT.sub(rf"\g<1>{REDACTED}", value) if "pikey" in value.lower() else value
    return value


def vendor_error(vendor: str, code: int, status: int | None = None) -> web.Response:
    """The vendor's own error reply for ``code``."""
    module = primotexto if vendor == PRIMOTEXTO else smspartner
    return module.error(code, status=status)


def http_error(vendor: str, status: int, headers: dict[str, str] | None = None) -> web.Response:
    """A vendor-shaped body for an HTTP-level error (5xx, 429, unknown route)."""
    module = primotexto if vendor == PRIMOTEXTO else smspartner
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return json_reply(module.fault_body(status, reason), status, headers)


def fault_response(vendor: str, rule: FaultRule) -> web.Response:
    """The reply of a terminal fault that does not drop the connection."""
    if rule.kind == SERVER_ERROR:
        status = rule.http_status or 500
        return web.Response(status=status) if rule.empty_body else http_error(vendor, status)
    if rule.kind == RATE_LIMIT:
        retry_after = 1.0 if rule.retry_after is None else rule.retry_after
        value = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
        headers = {"Retry-After": value}
        status = rule.http_status or 429
        if rule.empty_body:
            return web.Response(status=status, headers=headers)
        return http_error(vendor, status, headers)
    if rule.kind == RAW_REPLY:  # the body as given, whatever it is; the request was not handled
        return web.Response(
            body=(rule.body or "").encode("utf-8"),
            status=rule.http_status or 200,
            headers={"Content-Type": rule.content_type or "text/html"},
        )
    assert rule.code is not None  # vendor_error: checked by make_rule
    return vendor_error(vendor, rule.code, rule.http_status)


def drop_connection(request: web.Request) -> web.Response:
    """Close the socket without a reply (FIN, body already drained so no RST)."""
    transport = request.transport
    if transport is not None:
        transport.close()
    # aiohttp's attempt to write this fails on the closed transport and ends the connection.
    return web.Response(status=204)


async def _handle(vendor: str, request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:  # no such route / method on this vendor's API
        return http_error(vendor, exc.status)
    except Exception:
        log.exception("emulator handler failed for %s %s", request.method, request.path)
        return http_error(vendor, 500)


def _delay_kinds(decision: Decision) -> str | None:
    """``latency``, ``commit_delay`` or ``latency+commit_delay``: the delay rules that fired."""
    kinds = [
        kind
        for kind, amount in ((LATENCY, decision.latency_ms), (COMMIT_DELAY, decision.commit_delay))
        if amount > 0
    ]
    return "+".join(kinds) or None


@web.middleware
async def api_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Record, delay, fault-inject, then handle one vendor API request."""
    vendor = vendor_of(request.path)
    if vendor is None:
        return await handler(request)
    received = asyncio.get_running_loop().time()
    state = request.app[STATE]
    raw = await request.read()
    body = parse_body(raw)
    request[PAYLOAD] = body
    if body is BAD_JSON:
        body = raw.decode("utf-8", "replace")
    record = state.log_request(
        {
            "seq": 0,
            "vendor": vendor,
            "method": request.method,
            "path": request.path,
            "query": redact(dict(request.query)) if request.query_string else {},
            "body": redact(body),
            "status": None,
            "fault": None,
            "at": iso_utc(time.time()),
        }
    )
    decision = request.app[FAULTS].decide(vendor, request.method, request.path)
    if decision.commit_delay > 0:
        request[COMMIT_AT] = received + decision.commit_delay
    delay = state.settings.latency_ms + decision.latency_ms
    if delay > 0:
        await asyncio.sleep(delay / 1000)
    rule = decision.rule
    if rule is None:
        record["fault"] = _delay_kinds(decision)
        response = await _handle(vendor, request, handler)
    else:
        record["fault"] = rule.kind
        if rule.kind == DROP:
            return drop_connection(request)
        if rule.kind == ACCEPT_THEN_DROP:
            await _handle(vendor, request, handler)
            return drop_connection(request)
        if rule.kind == ACCEPT_THEN_ERROR:
            await _handle(vendor, request, handler)
            response = web.Response(status=rule.http_status or 500)  # no vendor body
        else:
            response = fault_response(vendor, rule)
    record["status"] = response.status
    return response
