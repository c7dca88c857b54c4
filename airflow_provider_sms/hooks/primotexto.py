"""Hook for the Primotexto API v2 (https://api.primotexto.com/v2).

The API key travels in the ``X-Primotexto-ApiKey`` header. One number per send request; statuses are
read one message at a time (by ``snapshotId``, or the latest message to a number), with bounded
concurrency. Error replies carry an integer ``code`` whose HTTP status is undocumented: the code
decides, the status is a fallback. Messages may only use the documented character list (plus space
and line breaks); the length ceiling is unpublished, so the SMS Partner one (10 parts) is assumed.
``docs/vendor-apis.md`` has the endpoints, replies and assumptions.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import (
    SmsInvalidRequestError,
    SmsNotFoundError,
    SmsRecipientBlacklistedError,
)
from airflow_provider_sms.hooks.base import SmsHook
from airflow_provider_sms.hooks.gateway import GatewayCapabilities, LatestMessage
from airflow_provider_sms.hooks.primotexto_api import (
    PRIMOTEXTO_CHARS,
    PRIMOTEXTO_ERROR_CODES,
    blacklist_call,
    category_stats_call,
    not_found_status,
    parse_account_stats,
    parse_blacklist,
    parse_category_stats,
    parse_latest,
    parse_replies,
    parse_status,
    replies_call,
    status_call,
)
from airflow_provider_sms.hooks.reply_values import accepted_id, field, number_of, says_failed
from airflow_provider_sms.hooks.transport import Call, parse_code
from airflow_provider_sms.model.results import BatchSendOutcome, BlacklistEntry, DeliveryStatus, SendResult
from airflow_provider_sms.rules.text import count_segments

if TYPE_CHECKING:
    from collections.abc import Generator, Mapping, Sequence

    import aiohttp

    from airflow_provider_sms.model.results import InboundMessage, ListType
    from airflow_provider_sms.rules.request import SendRequest
    from airflow_provider_sms.rules.text import SegmentInfo


class PrimotextoHook(SmsHook):
    """Talk to Primotexto API v2.

    Connection (type ``primotexto``): API key in the password; optional host (default
    ``https://api.primotexto.com``); extras ``sender`` (default sender) and ``timeout`` (seconds).

    :param sms_conn_id: Airflow connection id (default ``primotexto_default``).
    :param status_concurrency: parallel status requests in :meth:`get_delivery_statuses`.
    """

    default_conn_name = "primotexto_default"
    conn_type = "primotexto"
    hook_name = "Primotexto"
    default_host = "https://api.primotexto.com"
    api_prefix = "/v2"
    capabilities = GatewayCapabilities(
        max_recipients_per_send=1,
        list_types=("unsubscribers", "bounces"),
        blacklist_removal_by_entry_id=False,
        subaccounts=False,
        schedule_step_minutes=1,
        max_segments=10,
        max_segments_source="assumed; its limit is unpublished",
        reconciliation="by_recipient",
        price_per_segment=1.0,  # an assumption for France: docs/vendor-apis.md A16
        credit_unit="credits",
        replies_by_pull=True,
        status_summary_by_category=True,
        unicode=False,  # it publishes only its character list
        unsupported_characters="fail",
        character_refusal="its code 31",
    )
    error_codes = PRIMOTEXTO_ERROR_CODES
    #: Primotexto's published character list: anything else is its code 31.
    alphabet = PRIMOTEXTO_CHARS

    def __init__(self, sms_conn_id: str | None = None, *, status_concurrency: int = 16, **kwargs: Any):
        super().__init__(sms_conn_id, **kwargs)
        self.status_concurrency = max(1, status_concurrency)

    def _authenticate(
        self, call: Call, api_key: str
    ) -> tuple[dict[str, str], dict[str, Any], dict[str, Any] | None]:
        return {"X-Primotexto-ApiKey": api_key}, dict(call.params), call.body

    def _vendor_error(self, http_status: int, payload: Any) -> tuple[int | None, str | None] | None:
        """Any 4xx/5xx; on 2xx an object that says it failed: ``success`` false in any spelling, or
        an error ``code`` without ``success`` (:func:`~.reply_values.says_failed`; a documented
        success reply carries neither)."""
        if not isinstance(payload, dict):
            return (None, None) if http_status >= 400 else None
        if http_status < 400 and not says_failed(payload):
            return None
        text = field(payload, "message") or field(payload, "error")
        return parse_code(field(payload, "code")), (str(text) if text else None)

    # ------------------------------------------------------------------ rules
    def segments_of(self, text: str) -> SegmentInfo:
        """Segments of the characters Primotexto accepts (refused ones are reported apart)."""
        if PRIMOTEXTO_CHARS.issuperset(text):  # the common case: nothing to leave out
            return count_segments(text)
        return count_segments("".join(c for c in text if c in PRIMOTEXTO_CHARS))

    # ------------------------------------------------------------------ sending
    def _send_steps(self, request: SendRequest) -> Generator[Call, Any, BatchSendOutcome]:
        """One number per request, to the notification pool (or marketing when asked)."""
        recipient = request.recipients[0]
        body: dict[str, Any] = {"number": recipient, "message": request.message}
        if request.sender:
            body["sender"] = request.sender
        if request.campaign_name:
            body["campaignName"] = request.campaign_name
        if request.category:
            body["category"] = request.category
        if request.send_at is not None:
            body["date"] = int(request.send_at.timestamp() * 1000)
        pool = "marketing" if request.marketing else "notification"
        call = Call("POST", f"/v2/{pool}/messages/send", body=body, idempotent=False, operation="send an SMS")
        try:
            reply = yield call
        except SmsRecipientBlacklistedError:
            return BatchSendOutcome(blacklisted=[recipient])
        # accepted only with the documented {"creditsUsed", "snapshotId"} and a usable id
        snapshot_id, what = accepted_id(reply, "snapshotId", needs_success=False)
        if snapshot_id is None:
            raise self.unusable_reply(call, what)
        return BatchSendOutcome(
            sent=[
                SendResult(
                    message_id=snapshot_id,
                    recipient=recipient,
                    credits_used=number_of(field(reply, "creditsUsed")),
                    segments=self.segments_of(request.message).segments,
                    vendor=self.conn_type,
                    category=request.category,
                )
            ]
        )

    # ------------------------------------------------------------------ delivery status
    def get_delivery_status(
        self, message_id: str | None = None, recipient: str | None = None
    ) -> DeliveryStatus:
        """Status by ``snapshotId``; with a recipient only, the latest message to that number."""
        call = status_call(message_id, recipient)
        try:
            return parse_status(self.call(call), message_id, recipient)
        except SmsNotFoundError:
            return not_found_status(message_id, recipient)

    def latest_message_to(self, recipient: str) -> LatestMessage | None:
        """``/messages/status?identifier=``: the latest message to the number (A13), with its id and
        creation time; ``None`` when the gateway has none (code 16)."""
        try:
            return parse_latest(self.call(status_call(None, recipient)))
        except SmsNotFoundError:
            return None

    def get_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """One request per message, ``status_concurrency`` at a time, results in input order.

        Runs :meth:`aget_delivery_statuses` on an event loop of its own (one aiohttp session): two to
        three times the rate of threads over ``requests``, so a poke's pass over 2,000 pending
        messages takes about 1 s instead of 2.5 to 3 (``docs/delivery-sensor.md``). Threads only
        when called from a running loop (where ``asyncio.run`` is refused).
        """
        if not messages:
            return []
        _ = self.settings  # look the connection up once, before the loop or the threads start
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.aget_delivery_statuses(messages))
        with ThreadPoolExecutor(max_workers=min(self.status_concurrency, len(messages))) as pool:
            return list(
                pool.map(
                    lambda m: self.get_delivery_status(m.get("message_id"), m.get("recipient")), messages
                )
            )

    async def aget_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """Async twin of :meth:`get_delivery_statuses` (one aiohttp session, bounded concurrency)."""
        if not messages:
            return []
        await self.aget_settings()
        limit = asyncio.Semaphore(self.status_concurrency)

        async def one(item: Mapping[str, Any], session: aiohttp.ClientSession) -> DeliveryStatus:
            message_id, recipient = item.get("message_id"), item.get("recipient")
            async with limit:
                try:
                    payload = await self.acall(status_call(message_id, recipient), session)
                except SmsNotFoundError:
                    return not_found_status(message_id, recipient)
            return parse_status(payload, message_id, recipient)

        async with self.async_session() as session:
            return list(await asyncio.gather(*(one(m, session) for m in messages)))

    def get_status_summary(self, category: str) -> dict[str, int]:
        """A category's figures in one request (``/messages/stats``): sent, delivered, errors..."""
        return parse_category_stats(self.call(category_stats_call(category)))

    async def aget_status_summary(self, category: str) -> dict[str, int]:
        """Async twin of :meth:`get_status_summary`."""
        return parse_category_stats(await self.acall(category_stats_call(category)))

    # ------------------------------------------------------------------ blacklists
    def add_to_blacklist(self, recipient: str, list_type: ListType = "unsubscribers") -> bool:
        """POST the number to the account list; ``False`` when it was already listed (code 15)."""
        self.check_list_type(list_type)
        call = Call(
            "POST",
            f"/v2/{list_type}/default/contacts",
            body={"identifier": recipient},
            operation=f"add a number to the {list_type} list",
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
        """DELETE by number (``entry_id`` is not needed); ``False`` when it was not listed (404,
        an undocumented reply we assume)."""
        self.check_list_type(list_type)
        call = Call(
            "DELETE",
            f"/v2/{list_type}/default/contacts",
            params={"identifier": recipient},
            operation=f"remove a number from the {list_type} list",
        )
        try:
            self.call(call)
        except SmsNotFoundError:
            return False
        return True

    # ------------------------------------------------------------------ inbound
    def _blacklist_call(self, list_type: ListType) -> Call:
        return blacklist_call(list_type)

    def _parse_blacklist(self, reply: Any) -> list[BlacklistEntry]:
        return parse_blacklist(reply)

    def _replies_call(self, category: str | None) -> Call:
        return replies_call(category)

    def _parse_replies(self, reply: Any, category: str | None) -> list[InboundMessage]:
        return parse_replies(reply, category)

    # ------------------------------------------------------------------ account
    def get_account_stats(self) -> dict[str, Any]:
        """``/account/stats``: counters and remaining ``credits``."""
        return parse_account_stats(
            self.call(Call("GET", "/v2/account/stats", operation="read the account stats"))
        )
