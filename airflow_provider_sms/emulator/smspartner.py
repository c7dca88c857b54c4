"""SMS Partner API v1 (``/v1/...``): the wire conventions, what sends share, and ``/v1/send``.

Conventions shared with :mod:`~airflow_provider_sms.emulator.smspartner_status` and
:mod:`~airflow_provider_sms.emulator.smspartner_account`: ``apiKey`` travels in the JSON body or the
query string; every reply carries ``success`` and ``code``. Errors are HTTP 200 ``{"success": false,
"code": N, "message": "..."}`` except validation (code 9, with an ``error`` array) and malformed
JSON (code 90), which are HTTP 400 (``docs/vendor-apis.md``, assumptions A1 and A3).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from airflow_provider_sms.emulator.commit import commit
from airflow_provider_sms.emulator.encoding import MAX_SEGMENTS, smspartner_length
from airflow_provider_sms.emulator.http_replies import BAD_JSON, STATE, as_int, json_reply, payload, truthy
from airflow_provider_sms.emulator.numbers import FATES, NUMBER_REJECTED, parse_number
from airflow_provider_sms.emulator.state import SMSPARTNER, EmulatorState, Message

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


def page_number(params: dict[str, Any]) -> int:
    """The 1-based ``page`` parameter of a paged list; absent or invalid: 1."""
    page = as_int(params.get("page", 1))
    return page if page is not None and page >= 1 else 1


# -- sending: what /send and /bulk-send share ------------------------------------------------
@dataclass(frozen=True, slots=True)
class SendOptions:
    """The request-wide options of a send, checked; ``scheduled`` is on the gateway's clock."""

    sender: str | None
    gamme: int
    unicode: bool
    sandbox: bool
    tag: str | None
    scheduled: float | None
    reply_url: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One message a send accepts: recipient (E.164), text and segment count."""

    recipient: str
    text: str
    segments: int

    @property
    def cost(self) -> float:
        return unit_cost(self.segments)


def unit_cost(segments: int) -> float:
    """EUR for one recipient of a message of ``segments`` parts (A42)."""
    return round(PRICE_PER_SEGMENT * segments, 3)


def _schedule(params: dict[str, Any], now: float) -> float | web.Response | None:
    """The scheduled epoch from ``scheduledDeliveryDate`` + ``time`` + ``minute``, checked against
    gateway time ``now``.

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


def send_options(params: dict[str, Any], now: float) -> SendOptions | web.Response:
    """Check the request-wide options at gateway time ``now``: sender 44, gamme 9, schedule 46-49."""
    sender = params.get("sender")
    if sender not in (None, "") and (not isinstance(sender, str) or not _SENDER.fullmatch(sender)):
        return error(44)
    gamme = as_int(params.get("gamme", 1))
    if gamme not in (1, 2):
        return validation_error("gamme", ["La gamme doit valoir 1 (Premium) ou 2 (Low Cost)"])
    scheduled = _schedule(params, now)
    if isinstance(scheduled, web.Response):
        return scheduled
    tag = params.get("tag")
    reply_url = params.get("urlResponse")
    return SendOptions(
        sender=sender or None,
        gamme=gamme,
        unicode=truthy(params.get("isUnicode")),
        sandbox=truthy(params.get("sandbox")),
        tag=tag if isinstance(tag, str) and tag else None,
        scheduled=scheduled,
        reply_url=reply_url if isinstance(reply_url, str) and reply_url else None,
    )


def text_segments(text: Any, options: SendOptions) -> tuple[int, int | None]:
    """``(segments, None)``, or ``(0, code)`` for a missing text (43), more than 10 parts (52) or
    a Low Cost text of more than one part (42)."""
    if not isinstance(text, str) or not text.strip():
        return 0, 43
    _, segs = smspartner_length(text, options.unicode)
    if segs > MAX_SEGMENTS:
        return 0, 52
    if options.gamme == 2 and segs > 1:
        return 0, 42
    return segs, None


def can_pay(state: EmulatorState, options: SendOptions, cost: float) -> bool:
    """Whether the balance covers ``cost``; sandbox sends are free (A31). Caller holds the lock."""
    return options.sandbox or state.smspartner_balance + 1e-9 >= cost


def accept(
    request: web.Request, state: EmulatorState, message_id: int, entries: list[Entry], options: SendOptions
) -> None:
    """Charge and record ``entries`` under ``message_id``, now or at the request's commit time.

    The caller holds the lock and has checked the balance (:func:`can_pay`).
    """
    cost = round(sum(e.cost for e in entries), 3)
    offset = state.settings.clock_offset

    def apply(now: float) -> None:
        if not options.sandbox:
            state.smspartner_balance -= cost
        start = now if options.scheduled is None else options.scheduled - offset
        for entry in entries:
            fate = FATES.get(entry.recipient, "delivered")
            state.add_message(
                Message(
                    vendor=SMSPARTNER,
                    message_id=str(message_id),
                    recipient=entry.recipient,
                    text=entry.text,
                    sender=options.sender,
                    category=options.tag,
                    accepted_at=now,
                    start_at=start,
                    due_at=state.due_at(start, fate),
                    fate=fate,
                    segments=entry.segments,
                    cost=entry.cost,
                    sandbox=options.sandbox,
                    reply_url=options.reply_url,
                )
            )

    commit(request, state, apply)


def schedule_field(options: SendOptions) -> dict[str, str]:
    """``scheduledDeliveryDate`` of a scheduled send's reply (Paris time), else nothing."""
    if options.scheduled is None:
        return {}
    return {"scheduledDeliveryDate": paris_datetime(options.scheduled)}


# -- /send -----------------------------------------------------------------------------------
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
    state = request.app[STATE]
    options = send_options(params, state.clock())
    if isinstance(options, web.Response):
        return options
    segs, code = text_segments(text, options)
    if code is not None:
        return error(code)
    recipients = _recipients(raw_numbers)
    if isinstance(recipients, web.Response):
        return recipients
    entries = [Entry(e164, text, segs) for e164 in recipients]
    cost = round(sum(e.cost for e in entries), 3)
    with state.lock:
        # A STOP-listed number refuses the whole request (docs/vendor-apis.md, assumption A24).
        stopped = {e.recipient for e in state.stops.values()}.intersection(recipients)
        if stopped:
            return error(14, f"{MESSAGES[14]} : {', '.join(sorted(stopped))}")
        if NUMBER_REJECTED in recipients:
            return error(13)
        if not can_pay(state, options, cost):
            return error(11)
        message_id = state.next_send_id()
        accept(request, state, message_id, entries, options)
    return ok(message_id=message_id, nb_sms=segs, cost=cost, currency="EUR", **schedule_field(options))


def add_routes(app: web.Application) -> None:
    """Register the ``/v1/send`` route."""
    app.router.add_post("/v1/send", send)
