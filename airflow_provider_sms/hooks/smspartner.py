"""Hook for the SMS Partner API v1 (https://api.smspartner.fr/v1).

The API key travels as ``apiKey`` in the JSON body (POST) or the query string (GET); it is redacted
from every error. Every reply carries ``success`` and ``code``, and a refusal may come with HTTP 200
(``"success": false``), so the body decides. One send request carries up to 500 numbers; statuses
are read 500 at a time through ``/multi-status``. Scheduled sends fall on 5-minute steps (Paris
time); the Low Cost range (``gamme`` 2) sends one SMS of at most 160 characters.
``docs/vendor-apis.md`` has the endpoints, replies and assumptions.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from airflow_provider_sms.exceptions import (
    SmsAuthenticationError,
    SmsGatewayError,
    SmsInsufficientCreditError,
    SmsInvalidRequestError,
    SmsNotFoundError,
    SmsRecipientBlacklistedError,
    SmsServerError,
    SmsValidationError,
)
from airflow_provider_sms.hooks.base import BatchSendOutcome, Call, SendRequest, SmsHook, parse_code
from airflow_provider_sms.hooks.capabilities import GatewayCapabilities
from airflow_provider_sms.hooks.settings import ConnectionSettings, extra_error, parse_flag
from airflow_provider_sms.results import BlacklistEntry, DeliveryStatus, SendResult
from airflow_provider_sms.rules.numbers import mask_number
from airflow_provider_sms.rules.text import GSM7

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from airflow_provider_sms.results import ListType

_AUTH, _CREDIT, _INVALID = SmsAuthenticationError, SmsInsufficientCreditError, SmsInvalidRequestError

#: SMS Partner error codes (``docs/vendor-apis.md``, "SMS Partner error codes").
SMSPARTNER_ERROR_CODES: dict[int, tuple[type[SmsGatewayError], str]] = {
    1: (_AUTH, "API key required"),
    2: (_INVALID, "phone number required"),
    3: (_INVALID, "id required"),
    4: (SmsNotFoundError, "not found"),
    5: (_INVALID, "empty list"),
    6: (_INVALID, "bad format"),
    9: (_INVALID, "validation failed"),
    10: (_AUTH, "invalid API key"),
    11: (_CREDIT, "insufficient credit"),
    13: (_INVALID, "no price for these numbers"),
    14: (SmsRecipientBlacklistedError, "number is on the STOP list"),
    15: (_INVALID, "number already in the list"),
    20: (_AUTH, "account deactivated"),
    22: (_INVALID, "marketing SMS only between 08:00 and 22:00"),
    23: (_INVALID, "marketing SMS not on Sundays or public holidays"),
    30: (_AUTH, "account blocked"),
    40: (_AUTH, "API access refused"),
    42: (_INVALID, "Low Cost SMS limited to 160 characters"),
    43: (_INVALID, "message required"),
    44: (_INVALID, "invalid sender"),
    45: (_INVALID, "date required"),
    46: (_INVALID, "hour required"),
    47: (_INVALID, "invalid minute"),
    48: (_INVALID, "minutes must be 0 to 55 in steps of 5"),
    49: (_INVALID, "invalid date"),
    50: (_INVALID, "at most 500 numbers per request"),
    51: (_INVALID, "Low Cost range not available"),
    52: (_INVALID, "at most 10 concatenated SMS"),
    55: (_INVALID, "no number to send to"),
    90: (_INVALID, "malformed JSON"),
    96: (_AUTH, "IP address not allowed"),
    500: (SmsServerError, "could not enqueue the SMS"),
    992: (_AUTH, "sender not authorised on this account"),
}

#: Raw SMS Partner status (lower-cased) -> normalised state.
SMSPARTNER_STATES: dict[str, str] = {
    "delivered": "delivered",
    "waiting": "pending",
    "not delivered": "error",
    "ko": "error",
}

MAX_NUMBERS_PER_SEND = 500
MAX_PAIRS_PER_STATUS = 500
PARIS = ZoneInfo("Europe/Paris")


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def parse_vendor_date(value: Any) -> str | None:
    """Status dates come as epoch seconds or ``YYYY-mm-dd HH:MM:SS`` (assumed Paris time)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text), tz=timezone.utc).isoformat()
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=PARIS)
        return local.astimezone(timezone.utc).isoformat()
    except (ValueError, OverflowError, OSError):
        return None


def status_from_entry(
    entry: Mapping[str, Any], message_id: str | None, recipient: str | None
) -> DeliveryStatus:
    """Normalise one status object (``statut`` in single replies, ``status`` in lists)."""
    if entry.get("success") is False:
        return DeliveryStatus(message_id, recipient, "pending", vendor_state="not_found")
    raw = str(entry.get("statut") or entry.get("status") or "")
    state = SMSPARTNER_STATES.get(raw.lower(), "pending")
    stop = entry.get("stopSms", entry.get("stopSMS"))
    if state == "error" and _truthy(stop):
        state = "unsubscribed"
    return DeliveryStatus(
        message_id=message_id,
        recipient=recipient,
        state=state,
        vendor_state=raw or None,
        updated_at=parse_vendor_date(entry.get("date")),
    )


def multi_status_call(chunk: Sequence[Mapping[str, Any]]) -> Call:
    """Build one ``/multi-status`` request for up to 500 (number, message id) pairs."""
    pairs = [{"phoneNumber": m["recipient"], "messageId": str(m["message_id"])} for m in chunk]
    return Call("POST", "/v1/multi-status", body={"SMSStatut_List": pairs}, operation="read message statuses")


def parse_multi_status(reply: Any, chunk: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
    """Match a ``/multi-status`` reply back to the requested pairs, in request order."""
    found: dict[tuple[str, str], Mapping[str, Any]] = {}
    for entry in (reply or {}).get("StatutResponse_List") or []:
        found[(str(entry.get("messageId")), str(entry.get("phoneNumber")))] = entry
    statuses = []
    for item in chunk:
        key = (str(item["message_id"]), str(item["recipient"]))
        entry = found.get(key, {"success": False})
        statuses.append(status_from_entry(entry, key[0], key[1]))
    return statuses


@dataclass(frozen=True)
class SmsPartnerSettings(ConnectionSettings):
    """SMS Partner connection settings: the generic ones plus ``gamme`` and ``sandbox``.

    :param gamme: 1 Premium, 2 Low Cost, ``None`` for the account's default.
    :param sandbox: nothing is really sent nor charged; the gateway still answers.
    """

    known_extras: ClassVar[tuple[str, ...]] = ("sender", "timeout", "gamme", "sandbox")

    gamme: Literal[1, 2] | None = None
    sandbox: bool = False

    @property
    def low_cost(self) -> bool:
        """The Low Cost range: one SMS of at most 160 characters."""
        return self.gamme == 2

    @classmethod
    def parse_extra(cls, extra: Mapping[str, Any], conn_id: str) -> dict[str, Any]:
        raw = extra.get("gamme")
        gamme: Literal[1, 2] | None = None
        if raw not in (None, ""):
            text = str(raw).strip()
            if text in ("1", "1.0"):
                gamme = 1
            elif text in ("2", "2.0"):
                gamme = 2
            else:
                raise extra_error(conn_id, "gamme", f"must be 1 (Premium) or 2 (Low Cost), not {text[:20]!r}")
        return {"gamme": gamme, "sandbox": parse_flag(extra, "sandbox", conn_id)}


def _check_pairs(messages: Sequence[Mapping[str, Any]]) -> None:
    missing = [i for i, m in enumerate(messages) if not m.get("message_id") or not m.get("recipient")]
    if missing:
        raise SmsValidationError(
            [
                f"SMS Partner needs both message_id and recipient for each message; entries {missing[:10]} lack one"
            ]
        )


class SmsPartnerHook(SmsHook):
    """Talk to SMS Partner API v1.

    Connection (type ``smspartner``): API key in the password; optional host (default
    ``https://api.smspartner.fr``); extras ``sender``, ``gamme`` (1 Premium, 2 Low Cost),
    ``sandbox`` (true: nothing is really sent nor charged) and ``timeout`` (seconds).

    :param sms_conn_id: Airflow connection id (default ``smspartner_default``).
    """

    default_conn_name = "smspartner_default"
    conn_type = "smspartner"
    hook_name = "SMS Partner"
    default_host = "https://api.smspartner.fr"
    api_prefix = "/v1"
    capabilities = GatewayCapabilities(
        max_recipients_per_send=MAX_NUMBERS_PER_SEND,
        status_batch_size=MAX_PAIRS_PER_STATUS,
        status_needs_recipient=True,
        status_by_recipient=False,
        list_types=("unsubscribers",),
        blacklist_removal_by_entry_id=True,
        subaccounts=True,
        schedule_step_minutes=5,
        max_segments=10,
        max_segments_source="its code 52",
        reconciliation="none",
    )
    settings_class = SmsPartnerSettings
    error_codes = SMSPARTNER_ERROR_CODES

    if TYPE_CHECKING:

        @property
        def settings(self) -> SmsPartnerSettings: ...

    def _authenticate(
        self, call: Call, api_key: str
    ) -> tuple[dict[str, str], dict[str, Any], dict[str, Any] | None]:
        if call.method == "GET" or call.body is None:
            return {}, {**call.params, "apiKey": api_key}, call.body
        return {}, dict(call.params), {**call.body, "apiKey": api_key}

    def _vendor_error(self, http_status: int, payload: Any) -> tuple[int | None, str | None] | None:
        if not isinstance(payload, dict):
            return (None, None) if http_status >= 400 else None
        if payload.get("success") is not False and http_status < 400:
            return None
        code = payload.get("code")
        details = payload.get("error") or payload.get("errors")
        text = payload.get("message")
        if isinstance(details, list):
            text = "; ".join(str(d.get("message", d)) if isinstance(d, dict) else str(d) for d in details)
        return parse_code(code), (str(text) if text else None)

    # ------------------------------------------------------------------ rules
    def message_problems(self, text: object) -> list[str]:
        """The generic checks, plus the Low Cost range's one-SMS limit (its code 42)."""
        problems = super().message_problems(text)
        if problems or not isinstance(text, str) or not self.settings.low_cost:
            return problems
        info = self.segments_of(text)
        if info.segments > 1:
            problems.append(
                f"message needs {info.segments} SMS segments ({info.encoding}); SMS Partner's Low Cost "
                "range (gamme=2) sends one SMS of at most 160 characters (its code 42)"
            )
        return problems

    def schedule_problems(self, when: datetime) -> list[str]:
        """5-minute steps (its code 48)."""
        return [f"{p} (its code 48)" for p in super().schedule_problems(when)]

    # ------------------------------------------------------------------ sending
    def _schedule(self, when: datetime | None) -> dict[str, Any]:
        if when is None:
            return {}
        problems = self.schedule_problems(when)
        if problems:
            raise SmsValidationError(problems)
        local = when.astimezone(PARIS)
        return {
            "scheduledDeliveryDate": local.strftime("%d/%m/%Y"),
            "time": local.hour,
            "minute": local.minute,
        }

    def _send(self, request: SendRequest) -> BatchSendOutcome:
        """Up to 500 numbers in one ``/send`` request.

        ``category`` becomes the SMS Partner ``tag``; ``campaign_name`` has no SMS Partner field and
        is ignored; ``marketing=True`` asks for the STOP mention (``isStopSms``). Text that is not
        GSM-7 goes out with ``isUnicode=1`` (the account must have Unicode enabled).

        If the gateway refuses the request because some numbers are on the STOP list (code 14;
        nothing is sent in that case, an assumption), the STOP list is read once and the request
        is repeated without them; they are returned in ``blacklisted``.
        """
        recipients = request.recipients
        body: dict[str, Any] = {"message": request.message, **self._schedule(request.send_at)}
        settings = self.settings
        if request.sender:
            body["sender"] = request.sender
        if request.category:
            body["tag"] = request.category
        if settings.gamme is not None:
            body["gamme"] = settings.gamme
        if settings.sandbox:
            body["sandbox"] = 1
        if request.marketing:
            body["isStopSms"] = 1
        if self.segments_of(request.message).encoding != GSM7:
            body["isUnicode"] = 1
        try:
            return self._send_numbers(list(recipients), body)
        except SmsRecipientBlacklistedError:
            stopped = {entry.recipient for entry in self.get_blacklist()}
            blacklisted = [r for r in recipients if r in stopped]
            remaining = [r for r in recipients if r not in stopped]
            if not blacklisted:
                raise
            self.log.info("SMS Partner: %d number(s) on the STOP list left out", len(blacklisted))
            outcome = self._send_numbers(remaining, body) if remaining else BatchSendOutcome()
            outcome.blacklisted.extend(blacklisted)
            return outcome

    def _send_numbers(self, numbers: list[str], body: dict[str, Any]) -> BatchSendOutcome:
        call = Call(
            "POST",
            "/v1/send",
            body={**body, "phoneNumbers": ",".join(numbers)},
            idempotent=False,
            operation=f"send an SMS to {len(numbers)} number(s)",
        )
        reply = self.call(call) or {}
        cost = reply.get("cost")
        share = float(cost) / len(numbers) if cost is not None else None
        segments = reply.get("nb_sms")
        return BatchSendOutcome(
            sent=[
                SendResult(
                    message_id=str(reply.get("message_id")),
                    recipient=number,
                    credits_used=share,
                    segments=int(segments) if segments is not None else None,
                    vendor=self.conn_type,
                )
                for number in numbers
            ]
        )

    # ------------------------------------------------------------------ delivery status
    def get_delivery_status(
        self, message_id: str | None = None, recipient: str | None = None
    ) -> DeliveryStatus:
        """``/message-status`` for one (message id, number) pair; SMS Partner needs both."""
        _check_pairs([{"message_id": message_id, "recipient": recipient}])
        call = Call(
            "GET",
            "/v1/message-status",
            params={"messageId": str(message_id), "phoneNumber": recipient},
            operation="read a message status",
        )
        try:
            reply = self.call(call)
        except SmsNotFoundError:
            return DeliveryStatus(str(message_id), recipient, "pending", vendor_state="not_found")
        return status_from_entry(reply or {}, str(message_id), recipient)

    def get_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """``/multi-status``, 500 pairs per request, results in input order."""
        _check_pairs(messages)
        statuses: list[DeliveryStatus] = []
        for start in range(0, len(messages), MAX_PAIRS_PER_STATUS):
            chunk = messages[start : start + MAX_PAIRS_PER_STATUS]
            statuses.extend(parse_multi_status(self.call(multi_status_call(chunk)), chunk))
        return statuses

    async def aget_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """Async twin of :meth:`get_delivery_statuses` (chunks requested concurrently)."""
        _check_pairs(messages)
        if not messages:
            return []
        await self.aget_settings()
        chunks = [
            messages[i : i + MAX_PAIRS_PER_STATUS] for i in range(0, len(messages), MAX_PAIRS_PER_STATUS)
        ]
        async with self.async_session() as session:
            replies = await asyncio.gather(*(self.acall(multi_status_call(c), session) for c in chunks))
        return [
            status
            for reply, chunk in zip(replies, chunks, strict=False)
            for status in parse_multi_status(reply, chunk)
        ]

    # ------------------------------------------------------------------ STOP list
    def add_to_blacklist(self, recipient: str, list_type: ListType = "unsubscribers") -> bool:
        """``/stop-sms/add``; ``False`` when the number was already listed (code 15)."""
        self.check_list_type(list_type)
        call = Call(
            "POST",
            "/v1/stop-sms/add",
            body={"phoneNumber": recipient},
            operation="add a number to the STOP list",
        )
        try:
            self.call(call)
        except SmsInvalidRequestError as exc:
            if exc.code == 15:
                return False
            raise
        return True

    def remove_from_blacklist(
        self, recipient: str, list_type: ListType = "unsubscribers", *, entry_id: str | None = None
    ) -> bool:
        """Delete a STOP entry. SMS Partner deletes by entry id, so the list is read first unless
        ``entry_id`` is given (e.g. from :meth:`get_blacklist`). ``False`` when the number is absent."""
        self.check_list_type(list_type)
        if entry_id is None:
            entry_id = next((e.id for e in self.get_blacklist() if e.recipient == recipient), None)
            if entry_id is None:
                return False
        call = Call(
            "GET",
            "/v1/stop-sms/delete",
            params={"id": entry_id},
            operation="remove a number from the STOP list",
        )
        try:
            self.call(call)
        except SmsNotFoundError:
            return False
        self.log.debug("SMS Partner: removed %s from the STOP list", mask_number(recipient))
        return True

    def get_blacklist(self, list_type: ListType = "unsubscribers") -> list[BlacklistEntry]:
        """The whole STOP list (``/stop-sms/list``)."""
        self.check_list_type(list_type)
        reply = self.call(Call("GET", "/v1/stop-sms/list", operation="read the STOP list")) or {}
        return [
            BlacklistEntry(id=str(item.get("id")), recipient=str(item.get("phoneNumber")))
            for item in reply.get("data") or []
            if isinstance(item, dict)
        ]

    # ------------------------------------------------------------------ account
    def get_account_stats(self) -> dict[str, Any]:
        """Credits from ``/me``: ``credits`` is the EUR balance as a float, beside the raw counters.

        The account owner's name and e-mail are left out (they are not figures).
        """
        reply = self.call(Call("GET", "/v1/me", operation="read the account credits")) or {}
        raw = dict(reply.get("credits") or {})
        balance = raw.get("balance", raw.get("solde"))
        return {"credits": float(balance) if balance not in (None, "") else None, **raw}

    def list_subaccounts(self, max_pages: int = 1000) -> list[dict[str, Any]]:
        """Every sub-account, walking all pages (20 per page). Sub-account API keys are dropped."""
        accounts: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            call = Call("GET", "/v1/subaccount/list", params={"page": page}, operation="list sub-accounts")
            reply = self.call(call) or {}
            data = [d for d in reply.get("data") or [] if isinstance(d, dict)]
            accounts.extend({k: v for k, v in d.items() if k != "apiKey"} for d in data)
            total = reply.get("total")
            if not data or (isinstance(total, int) and len(accounts) >= total):
                break
        return accounts
