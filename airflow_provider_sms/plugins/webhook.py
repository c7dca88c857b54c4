"""The reply webhook: where a gateway posts replies and STOPs, and where hooks read them back.

Served by the api-server under the app's ``/sms`` prefix:

* ``POST /sms/webhook/<conn_id>/<webhook_secret>``: one post of the gateway (JSON or form, at most
  :data:`MAX_BODY_BYTES`), read by the connection's hook (``read_webhook_post``) and stored once
  (:mod:`~airflow_provider_sms.plugins.webhook_store`); a redelivered post is the same event.
* ``GET /sms/webhook/<conn_id>/events?after=<seq>&kind=reply|stop&limit=`` with the secret in the
  ``X-SMS-Webhook-Secret`` header: the stored events after a cursor, for the hook in a worker or the
  triggerer (which have no database access).

A wrong or missing secret, an unknown connection, or a connection without a webhook all get the
same 404 as an unknown path; secrets are compared in constant time. Nothing logged holds a number,
a text or the secret (the access log's path included: :class:`HideWebhookSecret`).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks.webhook_link import EVENTS_PAGE_SIZE, SECRET_HEADER
from airflow_provider_sms.model.results import INBOUND_KINDS
from airflow_provider_sms.plugins import webhook_store

if TYPE_CHECKING:
    from airflow_provider_sms.hooks.base import SmsHook

#: Largest body read (a reply is a few hundred bytes).
MAX_BODY_BYTES = 16 * 1024
JSON_TYPES = ("application/json", "text/json")
FORM_TYPE = "application/x-www-form-urlencoded"

#: A webhook path's secret segment, as the access log shows it.
_SECRET_IN_PATH = re.compile(r"(/webhook/[^/\s?]+/)(?!events(?:[/?\s\"]|$))[^/\s?\"]+")

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhook")


def not_found() -> JSONResponse:
    """What an unknown path gets (FastAPI's own 404 body), for every refused secret too."""
    return JSONResponse({"detail": "Not Found"}, status_code=404)


def refused(status: int, reason: str) -> JSONResponse:
    """A refusal that quotes nothing of the request."""
    return JSONResponse({"detail": reason}, status_code=status)


def webhook_hook(conn_id: str, secret: str | None) -> SmsHook | None:
    """The connection's hook when it has a webhook and ``secret`` is its secret, else ``None``."""
    from airflow.models.connection import Connection

    from airflow_provider_sms.hooks import hook_class_for

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
        hook = hook_class_for(conn.conn_type, conn_id).from_connection(conn, conn_id)
    except Exception:  # unknown connection, another type, unreadable extras: all the same 404
        return None
    expected = hook.settings.webhook_secret
    if not hook.capabilities.replies_by_webhook or not expected or not secret:
        return None
    if not hmac.compare_digest(secret.encode(), expected.encode()):
        return None
    return hook


async def read_body(request: Request) -> bytes | None:
    """The body, or ``None`` past :data:`MAX_BODY_BYTES` (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """A JSON object or a form as a dict.

    :raises SmsValidationError: another content type, or a body that is not one (quoting nothing).
    """
    media = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
        if media in JSON_TYPES:
            payload = json.loads(text)
        elif media == FORM_TYPE:
            payload = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
        else:
            raise SmsValidationError(["content type must be JSON or a form"])
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SmsValidationError(["body is not readable JSON or form data"]) from None
    if not isinstance(payload, dict):
        raise SmsValidationError(["body must be a JSON object"])
    return payload


def hide_secret(request: Request) -> None:
    """Replace the secret in the request's path with ``***``: the api-server's access log
    (Airflow's ``http.access``, written once the request is answered) reads the path from the same
    ASGI scope. Routing is done by then, so nothing else reads it."""
    scope = request.scope
    for key in ("path", "raw_path"):
        value = scope.get(key)
        if isinstance(value, str):
            scope[key] = _SECRET_IN_PATH.sub(r"\1***", value)
        elif isinstance(value, bytes):
            scope[key] = _SECRET_IN_PATH.sub(r"\1***", value.decode("latin-1")).encode("latin-1")


@router.post("/{conn_id}/{secret}")
async def receive(conn_id: str, secret: str, request: Request) -> JSONResponse:
    """One post of the gateway: stored once, ``{"stored": true}``, or ``false`` for a redelivery."""
    hide_secret(request)
    hook = await run_in_threadpool(webhook_hook, conn_id, secret)
    if hook is None:
        return not_found()
    body = await read_body(request)
    if body is None:
        log.warning("SMS webhook %s: refused a post larger than %d bytes", conn_id, MAX_BODY_BYTES)
        return refused(413, "body too large")
    try:
        post = hook.read_webhook_post(parse_body(request.headers.get("content-type", ""), body))
    except SmsValidationError as exc:
        log.warning("SMS webhook %s: refused a post (%s)", conn_id, "; ".join(exc.problems))
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        status = 415 if media not in (*JSON_TYPES, FORM_TYPE) else 400
        return refused(status, "; ".join(exc.problems))
    stored = await run_in_threadpool(webhook_store.store, webhook_store.metadata_engine(), conn_id, post)
    log.info(
        "SMS webhook %s: %s %s (event %s)",
        conn_id,
        post.kind,
        "stored" if stored.new else "already stored",
        stored.seq,
    )
    return JSONResponse({"stored": stored.new})


@router.get("/{conn_id}/events")
async def events(conn_id: str, request: Request) -> JSONResponse:
    """The stored events after ``after`` (``{"events": [...], "next": <cursor>}``)."""
    hook = await run_in_threadpool(webhook_hook, conn_id, request.headers.get(SECRET_HEADER))
    if hook is None:
        return not_found()
    query = request.query_params
    after, limit = query.get("after", "0"), query.get("limit", str(EVENTS_PAGE_SIZE))
    kind = query.get("kind") or None
    if not after.isdigit() or not limit.isdigit() or (kind is not None and kind not in INBOUND_KINDS):
        return refused(400, "after and limit must be whole numbers, kind reply or stop")
    size = min(max(int(limit), 1), EVENTS_PAGE_SIZE)
    found = await run_in_threadpool(
        webhook_store.events_after, webhook_store.metadata_engine(), conn_id, kind, int(after), size
    )
    return JSONResponse({"events": found, "next": found[-1]["seq"] if found else int(after)})


@router.api_route("/{conn_id}/{secret}", methods=["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def other_methods(request: Request) -> JSONResponse:
    """Anything but a post to a webhook URL (a browser opening it): 404, the secret kept out of the
    access log."""
    hide_secret(request)
    return not_found()


class HideWebhookSecret(logging.Filter):
    """Replace the secret segment of webhook paths in the api-server's access log with ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("/webhook/" in str(a) for a in record.args):
            record.args = tuple(
                _SECRET_IN_PATH.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str) and "/webhook/" in record.msg:
            record.msg = _SECRET_IN_PATH.sub(r"\1***", record.msg)
        return True


for _name in ("uvicorn.access", "gunicorn.access"):
    logging.getLogger(_name).addFilter(HideWebhookSecret())
