"""SMS Partner ``GET /v1/message-cancel?messageId=``: take back a scheduled send.

Codes as documented: 3 id required, 4 not found, 5 already cancelled, 6 less than 5 minutes before
the send time, 7 already sent (its start time has passed, or it was never scheduled). A cancelled
send is never delivered and answers the state ``Cancelled`` (A61).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.emulator.http_replies import STATE, as_int
from airflow_provider_sms.emulator.smspartner import authenticated, error, ok

if TYPE_CHECKING:
    from aiohttp import web

#: A send can no longer be cancelled this many seconds before its send time (code 6).
CANCEL_MARGIN_SECONDS = 5 * 60


@authenticated
async def message_cancel(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``GET /v1/message-cancel?messageId=``."""
    if params.get("messageId") in (None, ""):
        return error(3)
    message_id = as_int(params["messageId"])
    state = request.app[STATE]
    now = time.time()
    with state.lock:
        messages = list(state.sends.get(message_id, {}).values()) if message_id is not None else []
        if not messages:
            return error(4)
        if all(m.cancelled for m in messages):
            return error(5, "Message déjà annulé")
        start = min(m.start_at for m in messages)
        if start <= now:
            return error(7, "Message déjà envoyé")
        if start - now < CANCEL_MARGIN_SECONDS:
            return error(6, "Annulation impossible moins de 5 minutes avant l'envoi")
        for message in messages:
            message.cancelled = True
    return ok(message_id=message_id)


def add_routes(app: web.Application) -> None:
    """Register the ``/v1/message-cancel`` route."""
    app.router.add_get("/v1/message-cancel", message_cancel)
