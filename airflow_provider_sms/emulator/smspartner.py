"""SMS Partner API v1 (``/v1/...``): the wire conventions, and the ``/v1/send`` route.

Conventions shared with :mod:`~airflow_provider_sms.emulator.smspartner_status` and
:mod:`~airflow_provider_sms.emulator.smspartner_account`: ``apiKey`` travels in the JSON body or the
query string; every reply carries ``success`` and ``code``. Errors are HTTP 200 ``{"success": false,
"code": N, "message": "..."}`` except validation (code 9, with an ``error`` array) and malformed
JSON (code 90), which are HTTP 400 (``docs/vendor-apis.md``, assumptions A1 and A3).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from airflow_provider_sms.emulator.encoding import MAX_SEGMENTS, smspartner_length
from airflow_provider_sms.emulator.numbers import FATES, NUMBER_REJECTED, parse_number
from airflow_provider_sms.emulator.replies import BAD_JSON, STATE, as_int, json_reply, payload, truthy
from airflow_provider_sms.emulator.state import SMSPARTNER, Message

SMSPARTNER_API_KEY = "emu-smspartner-key"
PRICE_PER_SEGMENT = 0.045
MAX_NUMBERS = 500

MESSAGES = {
    1: "La clé API est requise",
    2: "Le numéro de téléphone est requis",
    3: "L'identifiant est requis",
    4: "Message introuvable",
    5: "La liste est vide",
    6: "Format invalide",
    9: "Des erreurs de validation sont survenues",
    10: "Clé API incorrecte",
    11: "Crédit insuffisant",
    13: "Pas de prix par défaut pour ces numéros",
    14: "Numéro dans la liste STOP",
    15: "Numéro déjà présent dans la liste",
    20: "Compte désactivé",
    30: "Compte bloqué",
    40: "Accès API refusé",
    42: "Les SMS Low Cost sont limités à 160 caractères",
    43: "Le message est requis",
    44: "L'émetteur est invalide",
    46: "L'heure est requise",
    47: "Minute invalide",
    48: "Les minutes doivent être comprises entre 5 et 55 par pas de 5",
    49: "Date invalide",
    50: "500 numéros maximum",
    52: "10 SMS concaténés maximum",
    90: "JSON mal formé",
    96: "Adresse IP non autorisée",
    500: "Impossible de mettre le SMS en file d'attente",
}
_STATUS_BY_CODE = {9: 400, 90: 400}
_SENDER = re.compile(r"[A-Za-z0-9]{3,11}")

try:
    PARIS: Any = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # pragma: no cover - no tz database on this machine
    from datetime import timezone

    PARIS = timezone.utc

Handler = Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]


def natural_status(code: int) -> int:
    """The HTTP status the emulator pairs with an SMS Partner error code."""
    return _STATUS_BY_CODE.get(code, 200)


def error(code: int, message: str | None = None, status: int | None = None) -> web.Response:
    """An SMS Partner error reply."""
    body = {"success": False, "code": code, "message": message or MESSAGES.get(code, "Erreur")}
    return json_reply(body, status or natural_status(code))


def validation_error(element: str, messages: list[str]) -> web.Response:
    """Code 9, HTTP 400, with the ``error`` array of the vendor's validation replies."""
    details = [{"elementId": f"children[{element}].data", "message": m} for m in messages]
    return json_reply({"success": False, "code": 9, "error": details}, 400)


def fault_body(status: int, message: str) -> dict[str, Any]:
    """Body of an injected 5xx / 429: the vendor's envelope with ``code`` = HTTP status."""
    return {"success": False, "code": status, "message": message}


def ok(**fields: Any) -> web.Response:
    return json_reply({"success": True, "code": 200, **fields})


def authenticated(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Pass the request parameters (JSON body for POST, query for GET) once ``apiKey`` checks out."""

    @wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            body = payload(request)
            if body is BAD_JSON or (body is not None and not isinstance(body, dict)):
                return error(90)
            params.update(body or {})
        key = params.get("apiKey")
        if key is None or key == "":
            return error(1)
        if key != SMSPARTNER_API_KEY:
            return error(10)
        return await handler(request, params)

    return wrapper


def paris_datetime(epoch: float) -> str:
    """``YYYY-mm-dd HH:MM:SS`` in Paris time, as the vendor writes dates."""
    return datetime.fromtimestamp(epoch, PARIS).strftime("%Y-%m-%d %H:%M:%S")


# -- sending ---------------------------------------------------------------------------------
def _schedule(params: dict[str, Any], now: float) -> float | web.Response | None:
    """The scheduled epoch from ``scheduledDeliveryDate`` + ``time`` + ``minute``.

    Read as Europe/Paris wall-clock time (``docs/vendor-apis.md``, assumption A23).
    """
    raw_date = params.get("scheduledDeliveryDate")
    if raw_date in (None, ""):
        return None
    try:
        day = datetime.strptime(str(raw_date).strip(), "%d/%m/%Y")
    except ValueError:
        return error(49)
    hour = as_int(params.get("time"))
    if hour is None or not 0 <= hour <= 23:
        return error(46)
    minute = as_int(params.get("minute"))
    if minute is None:
        return error(47)
    if minute % 5 or not 0 <= minute <= 55:
        return error(48)
    when = day.replace(hour=hour, minute=minute, tzinfo=PARIS).timestamp()
    if when < now:
        return error(49, "La date d'envoi est dans le passé")
    return when


def _recipients(raw: str) -> list[str] | web.Response:
    """Parse the comma list; any invalid or landline number refuses the whole request (code 9)."""
    problems: list[str] = []
    found: dict[str, None] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        parsed = parse_number(item)
        if parsed.kind != "mobile":
            problems.append(f"Le numéro {item} n'est pas un numéro de mobile valide")
        else:
            found.setdefault(parsed.e164)
    if problems:
        return validation_error("phoneNumbers", problems)
    return list(found)


@authenticated
async def send(request: web.Request, params: dict[str, Any]) -> web.StreamResponse:
    """``POST /v1/send``: one message to 1-500 numbers, one ``message_id`` for the whole request."""
    raw_numbers = params.get("phoneNumbers")
    if not isinstance(raw_numbers, str) or not raw_numbers.strip(" ,"):
        return error(2)
    if sum(1 for part in raw_numbers.split(",") if part.strip()) > MAX_NUMBERS:
        return error(50)
    text = params.get("message")
    if not isinstance(text, str) or not text.strip():
        return error(43)
    sender = params.get("sender")
    if sender not in (None, "") and (not isinstance(sender, str) or not _SENDER.fullmatch(sender)):
        return error(44)
    gamme = as_int(params.get("gamme", 1))
    if gamme not in (1, 2):
        return validation_error("gamme", ["La gamme doit valoir 1 (Premium) ou 2 (Low Cost)"])
    _, segs = smspartner_length(text, truthy(params.get("isUnicode")))
    if segs > MAX_SEGMENTS:
        return error(52)
    if gamme == 2 and segs > 1:
        return error(42)
    now = time.time()
    scheduled = _schedule(params, now)
    if isinstance(scheduled, web.Response):
        return scheduled
    recipients = _recipients(raw_numbers)
    if isinstance(recipients, web.Response):
        return recipients
    sandbox = truthy(params.get("sandbox"))
    tag = params.get("tag")
    category = tag if isinstance(tag, str) and tag else None
    unit_cost = round(PRICE_PER_SEGMENT * segs, 3)
    cost = round(unit_cost * len(recipients), 3)
    state = request.app[STATE]
    with state.lock:
        # A STOP-listed number refuses the whole request (docs/vendor-apis.md, assumption A24).
        stopped = {e.recipient for e in state.stops.values()}.intersection(recipients)
        if stopped:
            return error(14, f"{MESSAGES[14]} : {', '.join(sorted(stopped))}")
        if NUMBER_REJECTED in recipients:
            return error(13)
        if not sandbox:  # sandbox sends are free, no credit check (docs/vendor-apis.md, A31)
            if state.smspartner_balance + 1e-9 < cost:
                return error(11)
            state.smspartner_balance -= cost
        message_id = state.next_send_id()
        start = scheduled or now
        for e164 in recipients:
            fate = FATES.get(e164, "delivered")
            state.add_message(
                Message(
                    vendor=SMSPARTNER,
                    message_id=str(message_id),
                    recipient=e164,
                    text=text,
                    sender=sender or None,
                    category=category,
                    accepted_at=now,
                    start_at=start,
                    due_at=state.due_at(start, fate),
                    fate=fate,
                    segments=segs,
                    cost=unit_cost,
                    sandbox=sandbox,
                )
            )
    extra = {"scheduledDeliveryDate": paris_datetime(scheduled)} if scheduled else {}
    return ok(message_id=message_id, nb_sms=segs, cost=cost, currency="EUR", **extra)


def add_routes(app: web.Application) -> None:
    """Register the ``/v1/send`` route."""
    app.router.add_post("/v1/send", send)
