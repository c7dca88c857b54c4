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
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import (
    SmsGatewayError,
    SmsInvalidRequestError,
    SmsNotFoundError,
    SmsRecipientBlacklistedError,
    SmsValidationError,
)
from airflow_provider_sms.hooks.base import SmsHook
from airflow_provider_sms.hooks.exchange import adrive, drive
from airflow_provider_sms.hooks.gateway import GatewayCapabilities
from airflow_provider_sms.hooks.reply_values import accepted_id, count_of, field, number_of, text_of, without
from airflow_provider_sms.hooks.smspartner_api import (
    MAX_CATEGORY_LENGTH,
    MAX_NUMBERS_PER_SEND,
    PARIS,
    SMSPARTNER_ERROR_CODES,
    STOP_LISTED,
    BulkEntry,
    SmsPartnerSettings,
    StatusPlan,
    bulk_entries,
    bulk_send_call,
    by_tag_steps,
    category_length_problem,
    check_pairs,
    parse_stop_list,
    request_tag,
    status_from_entry,
    stop_list_call,
    vendor_error,
)
from airflow_provider_sms.hooks.smspartner_cancel import cancel_call, cancel_outcome
from airflow_provider_sms.hooks.smspartner_inbound import read_post
from airflow_provider_sms.hooks.transport import Call
from airflow_provider_sms.hooks.webhook_link import webhook_url
from airflow_provider_sms.model.results import (
    BatchSendOutcome,
    BlacklistEntry,
    CancelResult,
    DeliveryStatus,
    SendResult,
)
from airflow_provider_sms.rules.numbers import mask_number
from airflow_provider_sms.rules.text import is_gsm7

if TYPE_CHECKING:
    from collections.abc import Awaitable, Generator, Mapping, Sequence
    from datetime import datetime

    from airflow_provider_sms.hooks.webhook_link import InboundPost
    from airflow_provider_sms.model.results import ListType
    from airflow_provider_sms.rules.request import SendRequest


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
        list_types=("unsubscribers",),
        blacklist_removal_by_entry_id=True,
        subaccounts=True,
        schedule_step_minutes=5,
        max_segments=10,
        max_segments_source="its code 52",
        reconciliation="by_request_tag",
        price_per_segment=0.045,  # Premium, France, EUR: an assumption (docs/vendor-apis.md A42)
        credit_unit="EUR",
        replies_by_pull=True,  # through the provider's webhook (replies_by_webhook)
        status_summary_by_category=False,
        unicode=True,  # isUnicode=1
        unsupported_characters="unicode",
        character_refusal="not GSM-7",
        max_texts_per_request=MAX_NUMBERS_PER_SEND,  # /bulk-send: 500 SMS, each its own text
        cancel_scheduled=True,  # /message-cancel
        replies_by_webhook=True,  # urlResponse, or the dashboard's reply URL
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
        return vendor_error(http_status, payload)

    # ------------------------------------------------------------------ rules
    def message_problems(self, text: object, unsupported_characters: str | None = None) -> list[str]:
        """The generic checks, plus the Low Cost range's one-SMS limit (its code 42)."""
        problems = super().message_problems(text, unsupported_characters)
        if problems or not isinstance(text, str) or not self.settings.low_cost:
            return problems
        info = self.segments_of(text)
        if info.segments > 1:
            problems.append(
                f"message needs {info.segments} SMS segments ({info.encoding}); SMS Partner's Low Cost "
                "range (gamme=2) sends one SMS of at most 160 characters (its code 42)"
            )
        return problems

    def category_problems(self, category: str) -> list[str]:
        """The category goes into SMS Partner's ``tag`` (20 characters at most, lowercase, no spaces)
        with a suffix of the request's own: 11 characters at most, lowercase, no spaces."""
        problems = []
        if len(category) > MAX_CATEGORY_LENGTH:
            problems.append(category_length_problem(category))
        if category != category.lower() or any(c.isspace() for c in category):
            problems.append("category is an SMS Partner tag: lowercase, without spaces")
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

    def _send_steps(self, request: SendRequest) -> Generator[Call, Any, BatchSendOutcome]:
        """Up to 500 numbers in one ``/send`` request (one text), or up to 500 SMS with their own
        texts in one ``/bulk-send`` request (``request.texts``).

        The ``tag`` is the request's reconciliation tag (:meth:`reconciliation_tag`: the category
        and a suffix of the request's own, so a lost reply can be settled with
        :meth:`statuses_by_tag`; on ``/bulk-send`` it tags every entry), else the ``category``;
        ``campaign_name`` has no SMS Partner field and is ignored; ``marketing=True`` asks for the
        STOP mention (``isStopSms``). Text that is not GSM-7 goes out with ``isUnicode=1`` (the
        account must have Unicode enabled).

        If ``/send`` is refused because some numbers are on the STOP list (code 14; nothing is
        sent in that case, an assumption), the STOP list is read once and the request is repeated
        without them; they are returned in ``blacklisted``. ``/bulk-send`` says it per entry.
        """
        body = self._send_options(request)
        if request.texts is not None:
            return (yield from self._bulk_steps(request, body))
        recipients = request.recipients
        try:
            call = self._send_call(list(recipients), body)
            return self._read_send((yield call), call, list(recipients))
        except SmsRecipientBlacklistedError:
            stopped = {entry.recipient for entry in parse_stop_list((yield stop_list_call()))}
            blacklisted = [r for r in recipients if r in stopped]
            remaining = [r for r in recipients if r not in stopped]
            if not blacklisted:
                raise
            self.log.info("SMS Partner: %d number(s) on the STOP list left out", len(blacklisted))
            outcome = BatchSendOutcome()
            if remaining:
                call = self._send_call(remaining, body)
                outcome = self._read_send((yield call), call, remaining)
            outcome.blacklisted.extend(blacklisted)
            return outcome

    def _send_options(self, request: SendRequest) -> dict[str, Any]:
        """What ``/send`` and ``/bulk-send`` share: sender, tag, range, sandbox, STOP mention,
        Unicode, schedule."""
        body: dict[str, Any] = self._schedule(request.send_at)
        settings = self.settings
        if request.sender:
            body["sender"] = request.sender
        tag = request.reconciliation_tag or request.category
        if tag:
            body["tag"] = tag
        if settings.gamme is not None:
            body["gamme"] = settings.gamme
        if settings.sandbox:
            body["sandbox"] = 1
        if request.marketing:
            body["isStopSms"] = 1
        reply_url = webhook_url(settings)
        if reply_url is not None:
            body["urlResponse"] = reply_url
        texts = request.texts if request.texts is not None else (request.message,)
        if not is_gsm7("".join(dict.fromkeys(texts))):  # a text goes as UCS-2 (segments_of's encoding)
            body["isUnicode"] = 1
        if request.texts is None:
            body["message"] = request.message
        return body

    def _bulk_steps(
        self, request: SendRequest, body: dict[str, Any]
    ) -> Generator[Call, Any, BatchSendOutcome]:
        """One ``/bulk-send``: each entry accepted, refused on its own (``refused``) or, code 14,
        left out as STOP-listed (``blacklisted``); anything else than one readable entry per
        message is an unknown outcome for them all."""
        assert request.texts is not None
        numbers = list(request.recipients)
        call = bulk_send_call(numbers, request.texts, body)
        reply = yield call
        message_id, what = accepted_id(reply, "message_id", needs_success=True)
        if message_id is None:
            raise self.unusable_reply(call, what)
        entries = bulk_entries(reply, len(numbers))
        if entries is None:
            raise self.unusable_reply(call, without(reply, "one SMSResponse_List entry per message"))
        outcome = BatchSendOutcome()
        for number, entry in zip(numbers, entries, strict=True):
            if entry.accepted:
                outcome.sent.append(
                    SendResult(message_id, number, entry.cost, entry.segments, vendor=self.conn_type)
                )
            elif entry.code == STOP_LISTED:
                outcome.blacklisted.append(number)
            else:
                outcome.refused.append((number, self._entry_error(entry)))
        return outcome

    def _entry_error(self, entry: BulkEntry) -> SmsGatewayError:
        """The typed error of one refused ``/bulk-send`` entry (its code decides, as for a call)."""
        call = Call("POST", "/v1/bulk-send", operation="send one SMS of a bulk-send")  # nothing sent
        return self.transport.error_for(call, None, entry.code, entry.vendor_message)

    @staticmethod
    def _send_call(numbers: list[str], body: dict[str, Any]) -> Call:
        return Call(
            "POST",
            "/v1/send",
            body={**body, "phoneNumbers": ",".join(numbers)},
            idempotent=False,
            operation=f"send an SMS to {len(numbers)} number(s)",
        )

    def _read_send(self, reply: Any, call: Call, numbers: list[str]) -> BatchSendOutcome:
        """Accepted only with ``success`` true and a usable ``message_id``, else outcome unknown."""
        message_id, what = accepted_id(reply, "message_id", needs_success=True)
        if message_id is None:
            raise self.unusable_reply(call, what)
        cost, segments = number_of(field(reply, "cost")), count_of(field(reply, "nb_sms"))
        share = cost / len(numbers) if cost is not None else None
        return BatchSendOutcome(
            sent=[
                SendResult(
                    message_id=message_id,
                    recipient=number,
                    credits_used=share,
                    segments=segments,
                    vendor=self.conn_type,
                )
                for number in numbers
            ]
        )

    # ------------------------------------------------------------------ cancel
    def cancel_scheduled(self, message_ids: Sequence[str]) -> list[CancelResult]:
        """``/message-cancel`` once per distinct id, in input order: ``cancelled``, or what its
        refusal code says (5 already cancelled, 6 too late, 7 already sent, 4 not found); any
        other refusal raises."""
        results = []
        for message_id in dict.fromkeys(str(i) for i in message_ids):
            try:
                self.call(cancel_call(message_id))
            except SmsGatewayError as exc:
                outcome = cancel_outcome(exc.code)
                if outcome is None:
                    raise
                results.append(CancelResult(message_id, outcome, exc.code))
                continue
            results.append(CancelResult(message_id, "cancelled"))
        return results

    # ------------------------------------------------------------------ delivery status
    def get_delivery_status(
        self, message_id: str | None = None, recipient: str | None = None
    ) -> DeliveryStatus:
        """``/message-status`` for one (message id, number) pair; SMS Partner needs both."""
        check_pairs([{"message_id": message_id, "recipient": recipient}])
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
        if text_of(field(reply, "statut", "status")) is None:  # not a status: never read as one
            raise self.unusable_reply(call, without(reply, "a statut"))
        return status_from_entry(reply, str(message_id), recipient)

    def get_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """``/multi-status``, 500 pairs per request (and every page of ``/bulk-status-by-tag`` for
        results known by their tag), in input order."""
        plan = StatusPlan.for_messages(messages)
        replies = [self._call_or_none(call) for call in plan.calls]
        return plan.assemble(replies, [self.statuses_by_tag(tag) for tag in plan.tags])

    async def aget_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """Async twin of :meth:`get_delivery_statuses` (requests made concurrently)."""
        plan = StatusPlan.for_messages(messages)
        if not plan.messages:
            return []
        await self.aget_settings()
        async with self.async_session() as session:

            def read(call: Call) -> Awaitable[Any]:
                return self._acall_or_none(call, session)

            replies = await asyncio.gather(*(read(call) for call in plan.calls))
            tagged = await asyncio.gather(*(adrive(by_tag_steps(tag), read) for tag in plan.tags))
        return plan.assemble(replies, tagged)

    def _call_or_none(self, call: Call) -> Any:
        try:
            return self.call(call)
        except SmsNotFoundError:
            return None

    async def _acall_or_none(self, call: Call, session: Any) -> Any:
        try:
            return await self.acall(call, session)
        except SmsNotFoundError:
            return None

    def statuses_by_tag(self, tag: str) -> list[DeliveryStatus]:
        """Every number sent under ``tag``, every page read, with its status (message id
        ``tag:<tag>``)."""
        return drive(by_tag_steps(tag), self._call_or_none)

    def reconciliation_tag(self, category: str | None, unique: str) -> str:
        """``unique``, or ``<category>-<its last characters>`` (20 at most): a request's own tag even
        when the send has a category, so its numbers can be listed apart from other sends'."""
        return request_tag(category, unique)

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

    def _blacklist_call(self, list_type: ListType) -> Call:
        return stop_list_call()

    def _parse_blacklist(self, reply: Any) -> list[BlacklistEntry]:
        return parse_stop_list(reply)

    # ------------------------------------------------------------------ inbound
    def read_webhook_post(self, payload: Mapping[str, Any]) -> InboundPost:
        """A reply (``type`` ``response``) or STOP (``stop``) posted to the webhook."""
        return read_post(payload)

    # ------------------------------------------------------------------ account
    def get_account_stats(self) -> dict[str, Any]:
        """Credits from ``/me``: ``credits`` is the EUR balance as a float, beside the raw counters.

        The account owner's name and e-mail are left out (they are not figures).
        """
        call = Call("GET", "/v1/me", operation="read the account credits")
        raw = field(reply := self.call(call), "credits")
        if not isinstance(raw, dict):
            raise self.unusable_reply(call, without(reply, "credits"))
        balance = number_of(field(raw, "balance", "solde"))  # "10225.119", "10225,119"
        return {"credits": balance, **{str(k): v for k, v in raw.items() if k != "credits"}}

    def list_subaccounts(self, max_pages: int = 1000) -> list[dict[str, Any]]:
        """Every sub-account, walking all pages (20 per page). Sub-account API keys are dropped."""
        accounts: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            call = Call("GET", "/v1/subaccount/list", params={"page": page}, operation="list sub-accounts")
            page_data = field(reply := self.call(call), "data")
            if not isinstance(page_data, list):
                raise self.unusable_reply(call, without(reply, "a data list"))
            data = [d for d in page_data if isinstance(d, dict)]
            accounts.extend({k: v for k, v in d.items() if str(k).lower() != "apikey"} for d in data)
            total = count_of(field(reply, "total"))
            if not data or (total is not None and len(accounts) >= total):
                break
        return accounts
