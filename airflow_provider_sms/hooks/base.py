"""SmsHook: the machinery both gateway hooks share, on top of the gateway contract.

:class:`~airflow_provider_sms.hooks.gateway.Gateway` says what a gateway must provide; this class
does the rest once for all of them: the connection (:mod:`~airflow_provider_sms.hooks.settings`),
the HTTP transport with its safe retries (:mod:`~airflow_provider_sms.hooks.transport`, composed
in as ``transport``), validation before any request, the send (one exchange per request, driven
by ``requests`` or aiohttp), and inbound SMS. Nothing outside the hooks needs to know which
vendor it talks to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_sms.exceptions import (
    SmsConfigurationError,
    SmsError,
    SmsGatewayError,
    SmsInvalidRequestError,
    SmsNotFoundError,
    SmsRecipientBlacklistedError,
    SmsValidationError,
)
from airflow_provider_sms.hooks.connection_form import ConnectionFormMixin
from airflow_provider_sms.hooks.exchange import adrive, drive
from airflow_provider_sms.hooks.gateway import Gateway
from airflow_provider_sms.hooks.gateway_clock import GatewayClock
from airflow_provider_sms.hooks.settings import aget_connection, build_settings, redact_in_logs
from airflow_provider_sms.hooks.transport import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_POOL_SIZE,
    Call,
    GatewayTransport,
    scrub,
)
from airflow_provider_sms.hooks.webhook_link import webhook_steps
from airflow_provider_sms.model.results import LIST_TYPES, BatchSendOutcome, InboundMessage
from airflow_provider_sms.rules.clock import epoch_of_object_id, iso_from_epoch
from airflow_provider_sms.rules.guards import SendGuards
from airflow_provider_sms.rules.numbers import mask_number
from airflow_provider_sms.rules.request import validate_send
from airflow_provider_sms.rules.row_template import RowTemplate, uses_row
from airflow_provider_sms.rules.text import text_problems, too_many_segments

if TYPE_CHECKING:
    from collections.abc import Generator
    from datetime import datetime

    import aiohttp
    import requests
    from airflow.sdk import Connection

    from airflow_provider_sms.hooks.settings import ConnectionSettings
    from airflow_provider_sms.model.results import (
        BlacklistEntry,
        DeliveryStatus,
        InboundKind,
        ListType,
        SendResult,
    )
    from airflow_provider_sms.rules.inputs import OnInvalid
    from airflow_provider_sms.rules.marketing import MarketingWindow, OutsideMarketingHours
    from airflow_provider_sms.rules.request import SendRequest, ValidatedSend
    from airflow_provider_sms.rules.transliterate import UnsupportedCharacters

__all__ = ["SmsHook"]


class SmsHook(ConnectionFormMixin, Gateway, BaseHook):
    """Base of :class:`PrimotextoHook` and :class:`SmsPartnerHook`: one interface for both gateways.

    Nothing is fetched at construction: the connection is read on the first call.

    :param sms_conn_id: the Airflow connection id.
    :param timeout: read timeout in seconds (overrides the connection's ``timeout`` extra).
    :param max_attempts: attempts for a call that is safe to repeat (1 = no retry).
    :param pool_size: HTTP keep-alive connections kept per hook (bulk sends use several at once).
    """

    conn_name_attr = "sms_conn_id"

    def __init__(
        self,
        sms_conn_id: str | None = None,
        *,
        timeout: float | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        pool_size: int = DEFAULT_POOL_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sms_conn_id = sms_conn_id or self.default_conn_name
        self.timeout = timeout
        self.max_attempts = max(1, int(max_attempts))
        self.pool_size = pool_size

    @classmethod
    def from_connection(cls, conn: Connection, sms_conn_id: str | None = None, **kwargs: Any) -> SmsHook:
        """A hook for an already looked-up connection, its settings parsed (and checked) now."""
        hook = cls(sms_conn_id or conn.conn_id, **kwargs)
        hook.__dict__["settings"] = hook._settings_from(conn)
        return hook

    @property
    def max_recipients_per_send(self) -> int:
        """How many numbers one send request may carry."""
        return self.capabilities.max_recipients_per_send

    @property
    def list_types(self) -> tuple[ListType, ...]:
        """The blacklists this gateway keeps."""
        return self.capabilities.list_types

    # ------------------------------------------------------------------ connection
    @cached_property
    def settings(self) -> ConnectionSettings:
        """The parsed connection (looked up on first use)."""
        return self._settings_from(self.get_connection(self.sms_conn_id))

    async def aget_settings(self) -> ConnectionSettings:
        """The parsed connection, looked up without blocking the event loop (triggers)."""
        if "settings" not in self.__dict__:
            self.__dict__["settings"] = self._settings_from(await aget_connection(self.sms_conn_id))
        return self.settings

    def _settings_from(self, conn: Connection) -> ConnectionSettings:
        if conn.conn_type and conn.conn_type != self.conn_type:
            raise SmsConfigurationError(
                f"Connection '{self.sms_conn_id}' has type '{conn.conn_type}', "
                f"but {type(self).__name__} needs '{self.conn_type}'."
            )
        settings = build_settings(
            conn,
            default_host=self.default_host,
            api_prefix=self.api_prefix,
            timeout=self.timeout,
            settings_class=self.settings_class,
        )
        redact_in_logs(settings.api_key)
        if settings.webhook_secret:
            redact_in_logs(settings.webhook_secret)
        return settings

    # ------------------------------------------------------------------ transport (composed)
    @cached_property
    def transport(self) -> GatewayTransport:
        """This hook's HTTP transport: its pooled sessions, retries and error mapping."""
        return GatewayTransport(self)

    @cached_property
    def gateway_clock(self) -> GatewayClock:
        """The gateway's clock as measured from its replies (every call updates it)."""
        return GatewayClock()

    def get_conn(self) -> requests.Session:
        """Return the pooled HTTP session (created on first use)."""
        return self.session

    @property
    def session(self) -> requests.Session:
        """The keep-alive ``requests`` session (see :attr:`GatewayTransport.session`)."""
        return self.transport.session

    def call(self, call: Call) -> Any:
        """Send ``call``; return the parsed reply (see :meth:`GatewayTransport.call`)."""
        return self.transport.call(call)

    async def acall(self, call: Call, session: aiohttp.ClientSession | None = None) -> Any:
        """Async twin of :meth:`call`; pass ``session`` to reuse connections."""
        return await self.transport.acall(call, session)

    def async_session(self, pool_size: int | None = None) -> aiohttp.ClientSession:
        """A new aiohttp session with this hook's timeouts and ``pool_size`` connections (default:
        the hook's); use ``async with``."""
        return self.transport.async_session(pool_size)

    def unusable_reply(self, call: Call, what: str, http_status: int | None = None) -> SmsGatewayError:
        """The error for a reply that is neither a refusal nor the documented success (a send's:
        outcome unknown)."""
        return self.transport.unusable_reply(call, what, http_status)

    def close(self) -> None:
        """Close pooled connections (safe to call twice, or before any request)."""
        if "transport" in self.__dict__:
            self.transport.close()

    # ------------------------------------------------------------------ rules
    def message_problems(self, text: object, unsupported_characters: str | None = None) -> list[str]:
        """Everything this gateway would refuse in ``text`` (as it will go out; never quoted back)
        under ``unsupported_characters`` (``None``: the gateway's default); empty when fine."""
        problems = text_problems(text)
        if problems:
            return problems
        assert isinstance(text, str)
        problems = self.character_problems(text, unsupported_characters)
        info = self.segments_of(text)
        limit = self.capabilities.max_segments
        if info.segments > limit:
            problems.append(
                too_many_segments(info, self.hook_name, limit, self.capabilities.max_segments_source)
            )
        return problems

    def validate_send(
        self,
        recipients: object,
        message: object,
        *,
        sender: object = None,
        send_at: object = None,
        campaign_name: object = None,
        category: object = None,
        marketing: object = False,
        on_invalid: OnInvalid | str = "fail",
        now: datetime | None = None,
        outside_marketing_hours: OutsideMarketingHours | str = "schedule",
        marketing_window: MarketingWindow | None = None,
        guards: SendGuards | None = None,
        unsupported_characters: UnsupportedCharacters | str | None = None,
    ) -> ValidatedSend:
        """Check a whole send for this gateway before any request, then run the guards that need no
        request (marketing window, spend budget); raise every problem at once.

        ``sender`` defaults to the connection's ``sender`` extra. ``guards`` (default: the
        marketing window given here, no spend limit) are :class:`~airflow_provider_sms.rules.guards.SendGuards`;
        their credit check runs apart (:meth:`read_credits`), where a caller wants it.
        ``unsupported_characters`` (``"fail"``, ``"replace"``, ``"unicode"``; ``None``: the
        gateway's default) says what happens to characters outside its alphabet. See
        :func:`~airflow_provider_sms.rules.request.validate_send`.
        """
        if guards is None:
            guards = SendGuards(outside_marketing_hours, marketing_window, check_credits=False)
        problems = guards.problems(marketing=marketing is True)
        try:
            validated = validate_send(
                recipients,
                message,
                gateway=self,
                sender=sender if sender is not None else self.settings.sender,
                send_at=send_at,
                campaign_name=campaign_name,
                category=category,
                marketing=marketing,
                on_invalid=on_invalid,
                now=now,
                unsupported_characters=unsupported_characters,
            )
        except SmsValidationError as exc:
            raise SmsValidationError([*problems, *exc.problems]) from None
        if problems:
            raise SmsValidationError(problems)
        return guards.check(validated, self, now=now).send

    @property
    def price_per_segment(self) -> float | None:
        """What one SMS segment costs, in :attr:`credit_unit` (an estimate; ``None``: unknown)."""
        return self.capabilities.price_per_segment

    @property
    def credit_unit(self) -> str:
        """The unit of the account's credits."""
        return self.capabilities.credit_unit

    def read_credits(self) -> Any:
        """The account's remaining credit (``None`` when the gateway does not say)."""
        return self.get_account_stats().get("credits")

    def check_list_type(self, list_type: object) -> None:
        """Refuse, before any request, a list type this gateway does not have."""
        if list_type not in LIST_TYPES:
            raise SmsValidationError([f"list_type must be one of {', '.join(LIST_TYPES)}, not {list_type!r}"])
        if list_type not in self.list_types:
            raise SmsValidationError(
                [
                    f"{self.hook_name} has no '{list_type}' list (it keeps only: "
                    f"{', '.join(self.list_types)}); nothing was sent"
                ]
            )

    # ------------------------------------------------------------------ sending
    def send_sms(
        self,
        recipient: str,
        message: str,
        *,
        sender: str | None = None,
        campaign_name: str | None = None,
        category: str | None = None,
        send_at: datetime | str | None = None,
        marketing: bool = False,
        outside_marketing_hours: OutsideMarketingHours = "schedule",
        marketing_window: MarketingWindow | None = None,
        unsupported_characters: UnsupportedCharacters | None = None,
    ) -> SendResult:
        """Send one SMS to one number; return the gateway's acceptance.

        Never retried once the request may have reached the gateway.

        :raises SmsRecipientBlacklistedError: the number is on a STOP or bounce list.
        :raises SmsOutcomeUnknownError: the request left but no clear reply came back.
        """
        outcome = self.send_sms_batch(
            [recipient],
            message,
            sender=sender,
            campaign_name=campaign_name,
            category=category,
            send_at=send_at,
            marketing=marketing,
            outside_marketing_hours=outside_marketing_hours,
            marketing_window=marketing_window,
            unsupported_characters=unsupported_characters,
        )
        if outcome.blacklisted:
            raise SmsRecipientBlacklistedError(
                f"{self.hook_name}: {mask_number(recipient)} is on a STOP or bounce list; nothing was sent",
                conn_id=self.sms_conn_id,
            )
        return outcome.sent[0]

    def send_sms_batch(
        self,
        recipients: Sequence[str] | Sequence[Mapping[str, Any]],
        message: str | None,
        *,
        sender: str | None = None,
        campaign_name: str | None = None,
        category: str | None = None,
        send_at: datetime | str | None = None,
        marketing: bool = False,
        outside_marketing_hours: OutsideMarketingHours = "schedule",
        marketing_window: MarketingWindow | None = None,
        unsupported_characters: UnsupportedCharacters | None = None,
    ) -> BatchSendOutcome:
        """Send one message to up to :attr:`max_recipients_per_send` numbers in one request.

        The same rules as :class:`~airflow_provider_sms.operators.send.SmsSendOperator` apply
        first (:meth:`validate_send`): numbers go out, and come back, in E.164. ``sender`` defaults
        to the connection's ``sender`` extra; ``send_at`` (aware datetime or ISO-8601 text)
        schedules the send. A marketing send outside ``marketing_window`` (default: French hours)
        obeys ``outside_marketing_hours``. ``unsupported_characters`` (default: the gateway's)
        fails, replaces or sends in UCS-2 the characters outside its alphabet.

        ``recipients`` may also be rows (dicts with ``recipient``, optional ``message`` and
        ``key``, and fields a ``message`` template reads as ``{{ row.<field> }}``) that fit in one
        request (SMS Partner: 500 rows, whatever their texts; Primotexto: one);
        :meth:`send_personalised` takes any number of them. Results carry each row's key and
        position.

        :raises SmsValidationError: every problem at once, before any request.
        """
        problems = self._batch_shape_problems(recipients)
        try:
            validated = self.validate_send(
                list(recipients) if _is_list(recipients) else [],
                row_message(message),
                sender=sender,
                send_at=send_at,
                campaign_name=campaign_name,
                category=category,
                marketing=marketing,
                outside_marketing_hours=outside_marketing_hours,
                marketing_window=marketing_window,
                unsupported_characters=unsupported_characters,
            )
        except SmsValidationError as exc:
            found = [p for p in exc.problems if not (problems and p == "no recipients given")]
            raise SmsValidationError([*problems, *found]) from None
        if problems:
            raise SmsValidationError(problems)
        if validated.marketing_note:
            self.log.info("%s", validated.marketing_note)
        if validated.rows is None:
            return self.send_request(validated.request)
        requests = self._plan(validated)
        if len(requests) > 1:
            raise SmsValidationError(
                [f"these rows need {len(requests)} requests on {self.hook_name}; use send_personalised"]
            )
        return self._send_rows(validated, requests[0])

    def send_personalised(
        self,
        rows: Sequence[Mapping[str, Any]],
        message: str | None = None,
        *,
        sender: str | None = None,
        campaign_name: str | None = None,
        category: str | None = None,
        send_at: datetime | str | None = None,
        marketing: bool = False,
        on_invalid: OnInvalid = "fail",
        outside_marketing_hours: OutsideMarketingHours = "schedule",
        marketing_window: MarketingWindow | None = None,
        unsupported_characters: UnsupportedCharacters | None = None,
    ) -> BatchSendOutcome:
        """Send personalised rows, each its own SMS, in as few requests as the gateway allows.

        A row is a dict with ``recipient`` (required), optional ``message`` (its ready text) and
        ``key`` (your id), and any fields ``message`` reads as ``{{ row.<field> }}`` (rendered
        once per row in a sandbox, see ``docs/personalised-sends.md``). Rows are validated as
        :class:`~airflow_provider_sms.operators.send.SmsSendOperator` validates them; a bad row is
        named by its position and key; ``on_invalid="skip"`` leaves bad rows out;
        ``unsupported_characters`` applies to each row's text (default: the gateway's).

        Requests go one after the other. A request the gateway refuses puts its rows in
        ``refused``; any other error (outcome unknown, account refusals, rate limits) is raised
        at once. There is no retry journal here: for retries that never text a row twice, use the
        operator.

        :return: ``sent`` (each result with the row's ``key`` and ``position``), ``blacklisted``
            and ``refused`` numbers.
        :raises SmsValidationError: every problem at once, before any request.
        """
        validated = self.validate_send(
            rows,
            row_message(message),
            sender=sender,
            send_at=send_at,
            campaign_name=campaign_name,
            category=category,
            marketing=marketing,
            on_invalid=on_invalid,
            outside_marketing_hours=outside_marketing_hours,
            marketing_window=marketing_window,
            unsupported_characters=unsupported_characters,
        )
        if validated.marketing_note:
            self.log.info("%s", validated.marketing_note)
        outcome = BatchSendOutcome()
        for chunk in self._plan(validated):
            try:
                sent = self._send_rows(validated, chunk)
            except SmsInvalidRequestError as exc:  # refused: nothing of it was sent
                numbers = [validated.number_of(r) for r in chunk]
                if isinstance(exc, SmsRecipientBlacklistedError) and len(numbers) == 1:
                    outcome.blacklisted.extend(numbers)
                else:
                    outcome.refused.extend((number, exc) for number in numbers)
                continue
            outcome.sent.extend(sent.sent)
            outcome.blacklisted.extend(sent.blacklisted)
            outcome.refused.extend(sent.refused)
        outcome.sent.sort(key=lambda result: result.position or 0)  # input order
        return outcome

    def _plan(self, validated: ValidatedSend) -> list[list[str]]:
        capabilities = self.capabilities
        return validated.plan(
            validated.recipients, capabilities.max_recipients_per_send, capabilities.max_texts_per_request
        )

    def _send_rows(self, validated: ValidatedSend, chunk: Sequence[str]) -> BatchSendOutcome:
        """One request of rows; each accepted result labelled with its row's key and position."""
        outcome = self.send_request(validated.request_for(chunk))
        identity = validated.identities(chunk)
        labelled = []
        for result in outcome.sent:
            labels = validated.describe(identity[result.recipient]) or {}
            labelled.append(replace(result, key=labels.get("key"), position=labels.get("position")))
        outcome.sent = labelled
        return outcome

    def _batch_shape_problems(self, recipients: object) -> list[str]:
        if not _is_list(recipients):
            return [
                f"recipients must be a list of numbers, got {type(recipients).__name__} "
                "(use send_sms for one number)"
            ]
        if not 1 <= len(recipients) <= self.max_recipients_per_send:  # type: ignore[arg-type]
            return [f"{self.hook_name} sends to 1 to {self.max_recipients_per_send} number(s) per request"]
        return []

    def send_request(self, request: SendRequest) -> BatchSendOutcome:
        """Send a request built by :meth:`validate_send` (``ValidatedSend.request_for``); only its
        size is checked here: the rules were applied when it was validated."""
        self._check_size(request)
        return drive(self._send_steps(request), self.call)

    async def asend_request(
        self, request: SendRequest, session: aiohttp.ClientSession | None = None
    ) -> BatchSendOutcome:
        """Async twin of :meth:`send_request` (aiohttp); pass ``session`` to reuse connections."""
        self._check_size(request)
        if session is None:
            async with self.async_session() as own:
                return await self.asend_request(request, own)
        await self.aget_settings()
        return await adrive(self._send_steps(request), lambda call: self.acall(call, session))

    def _check_size(self, request: SendRequest) -> None:
        size = self.capabilities.max_recipients_per_send
        if not 1 <= len(request.recipients) <= size:
            raise SmsValidationError([f"{self.hook_name} sends to 1 to {size} number(s) per request"])
        if request.texts is None:
            return
        most = self.capabilities.max_texts_per_request
        if len(request.texts) != len(request.recipients) or len(set(request.texts)) > most:
            raise SmsValidationError(
                [f"{self.hook_name} takes one text per number and at most {most} text(s) per request"]
            )

    # ------------------------------------------------------------------ delivery status
    async def aget_delivery_status(
        self, message_id: str | None = None, recipient: str | None = None
    ) -> DeliveryStatus:
        """Async twin of :meth:`get_delivery_status`."""
        statuses = await self.aget_delivery_statuses([{"message_id": message_id, "recipient": recipient}])
        return statuses[0]

    # ------------------------------------------------------------------ lists and inbound
    def get_blacklist(self, list_type: ListType = "unsubscribers") -> list[BlacklistEntry]:
        """Every live entry of a list."""
        self.check_list_type(list_type)
        return self._parse_blacklist(self.call(self._blacklist_call(list_type)))

    @property
    def lists_replies(self) -> bool:
        """Whether this connection can list replies: the gateway lists them (``replies_by_pull``),
        and, where it posts them to the provider's webhook (``replies_by_webhook``), the
        connection names that webhook (extras ``webhook_secret`` and ``public_base_url``)."""
        capabilities = self.capabilities
        if capabilities.replies_by_webhook:
            return self.settings.public_base_url is not None
        return capabilities.replies_by_pull

    def check_replies(self) -> None:
        """Refuse, before any request, on a gateway (or a connection) that cannot list replies."""
        if self.lists_replies:
            return
        if self.capabilities.replies_by_webhook:
            raise SmsValidationError(
                [
                    f"{self.hook_name} does not let clients read replies: it posts them to the "
                    f"provider's webhook; set connection '{self.sms_conn_id}''s extras webhook_secret "
                    "and public_base_url (docs/inbound.md); nothing was asked"
                ]
            )
        self._replies_call(None)  # the contract's refusal

    def _inbound_steps(
        self, kind: InboundKind, category: str | None
    ) -> Generator[Call, Any, list[InboundMessage]]:
        """Replies or STOPs: from the provider's webhook where the connection names it, else the
        gateway's replies call or its STOP list."""
        if self.capabilities.replies_by_webhook and self.settings.public_base_url is not None:
            return (yield from webhook_steps(self.settings, kind))
        if kind == "reply":
            return self._parse_replies((yield self._replies_call(category)), category)
        return self._stops((yield self._blacklist_call("unsubscribers")))

    def get_replies(self, category: str | None = None) -> list[InboundMessage]:
        """Every reply the gateway lists (for ``category`` when given and the gateway files replies
        by category), oldest first."""
        self.check_replies()
        return drive(self._inbound_steps("reply", category), self.call)

    async def aget_replies(self, category: str | None = None) -> list[InboundMessage]:
        """Async twin of :meth:`get_replies`."""
        await self.aget_settings()
        self.check_replies()
        return await adrive(self._inbound_steps("reply", category), self.acall)

    def get_stops(self) -> list[InboundMessage]:
        """The STOPs as inbound messages: the STOP list (``kind="stop"``, id = the list entry id),
        or the STOPs the provider's webhook received where the connection names it."""
        self.check_list_type("unsubscribers")
        return drive(self._inbound_steps("stop", None), self.call)

    async def aget_stops(self) -> list[InboundMessage]:
        """Async twin of :meth:`get_stops`."""
        await self.aget_settings()
        return await adrive(self._inbound_steps("stop", None), self.acall)

    def _stops(self, reply: Any) -> list[InboundMessage]:
        return [
            InboundMessage(
                kind="stop",
                message_id=entry.id,
                number=entry.recipient,
                received_at=iso_from_epoch(epoch_of_object_id(entry.id)),
            )
            for entry in self._parse_blacklist(reply)
        ]

    def get_inbound(
        self, message_id: str, *, kind: InboundKind = "reply", category: str | None = None
    ) -> InboundMessage:
        """The inbound message an :class:`~airflow_provider_sms.triggers.inbound.SmsInboundTrigger`
        event names (its ``kind``, ``message_id`` and ``category``), with the full number and text.

        :raises SmsNotFoundError: the gateway no longer lists it (e.g. the number left the STOP list).
        """
        found = self.get_replies(category) if kind == "reply" else self.get_stops()
        for message in found:
            if message.message_id == str(message_id):
                return message
        raise SmsNotFoundError(
            f"{self.hook_name}: no {kind} with id {message_id!r} is listed any more",
            conn_id=self.sms_conn_id,
        )

    # ------------------------------------------------------------------ connection test
    def test_connection(self) -> tuple[bool, str]:
        """Check the connection with a read-only call (account stats / credits); no secret in the text.

        The text does not quote the connection id: Airflow's *Test* button runs on a temporary
        connection with a random id, which would mean nothing to the user.
        """
        try:
            stats = self.get_account_stats()
        except Exception as exc:
            secret = self.settings.api_key if "settings" in self.__dict__ else None
            text = str(exc) if isinstance(exc, SmsError) else f"unexpected error ({type(exc).__name__})"
            text = text.replace(f" (connection '{self.sms_conn_id}')", "")
            return False, scrub(text, secret)
        return True, f"Connected to {self.hook_name}; credits left: {stats.get('credits')}"


def row_message(message: object) -> object:
    """A message given to the hook as is: a template that reads ``row`` is rendered per row."""
    return RowTemplate(message) if isinstance(message, str) and uses_row(message) else message


def _is_list(recipients: object) -> bool:
    return isinstance(recipients, Sequence) and not isinstance(recipients, (str, bytes))
