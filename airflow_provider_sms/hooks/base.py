"""The interface both gateway hooks share (:class:`SmsHook`), so every operator works on either.

Connection parsing lives in :mod:`~airflow_provider_sms.hooks.settings`, HTTP transport, safe
retries and error mapping in :mod:`~airflow_provider_sms.hooks.transport`. A gateway hook declares
what its gateway can do (:class:`~airflow_provider_sms.hooks.capabilities.GatewayCapabilities`),
adds its own text and schedule rules to the generic ones, and describes its endpoints, error codes
and replies. Nothing outside the hooks needs to know which vendor it talks to.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_sms.exceptions import (
    SmsConfigurationError,
    SmsError,
    SmsGatewayError,
    SmsRecipientBlacklistedError,
    SmsValidationError,
)
from airflow_provider_sms.hooks.connection_form import ConnectionFormMixin
from airflow_provider_sms.hooks.inbound import InboundMixin
from airflow_provider_sms.hooks.rules import GatewayRules
from airflow_provider_sms.hooks.sending import BatchSendOutcome, SendMixin
from airflow_provider_sms.hooks.settings import (
    ConnectionSettings,
    aget_connection,
    build_settings,
    redact_in_logs,
)
from airflow_provider_sms.hooks.transport import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_POOL_SIZE,
    Call,
    GatewayTransport,
    parse_code,
    scrub,
)
from airflow_provider_sms.model.results import BlacklistEntry, DeliveryStatus, SendResult
from airflow_provider_sms.rules.numbers import mask_number
from airflow_provider_sms.rules.request import SendRequest

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    import requests
    from airflow.sdk import Connection

    from airflow_provider_sms.hooks.capabilities import GatewayCapabilities
    from airflow_provider_sms.model.results import ListType
    from airflow_provider_sms.rules.marketing import MarketingWindow, OutsideMarketingHours

__all__ = [
    "DEFAULT_POOL_SIZE",
    "BatchSendOutcome",
    "BlacklistEntry",
    "Call",
    "DeliveryStatus",
    "SendRequest",
    "SendResult",
    "SmsHook",
    "parse_code",
    "scrub",
]


class SmsHook(SendMixin, InboundMixin, GatewayRules, GatewayTransport, ConnectionFormMixin, BaseHook):
    """Base of :class:`PrimotextoHook` and :class:`SmsPartnerHook`: one interface for both gateways.

    Nothing is fetched at construction: the connection is read on the first call.

    :param sms_conn_id: the Airflow connection id.
    :param timeout: read timeout in seconds (overrides the connection's ``timeout`` extra).
    :param max_attempts: attempts for a call that is safe to repeat (1 = no retry).
    :param pool_size: HTTP keep-alive connections kept per hook (bulk sends use several threads).
    """

    conn_name_attr = "sms_conn_id"
    default_conn_name: ClassVar[str]
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]
    #: Host used when the connection leaves it empty.
    default_host: ClassVar[str]
    #: Path prefix of the API version (``/v2`` or ``/v1``).
    api_prefix: ClassVar[str]
    #: What the gateway can do and its limits.
    capabilities: ClassVar[GatewayCapabilities]
    #: The settings type this gateway's connection parses into (typed extras).
    settings_class: ClassVar[type[ConnectionSettings]] = ConnectionSettings
    #: Vendor error code -> (exception class, meaning). Filled by each gateway.
    error_codes: ClassVar[dict[int, tuple[type[SmsGatewayError], str]]] = {}

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
        return settings

    def get_conn(self) -> requests.Session:
        """Return the pooled HTTP session (created on first use)."""
        return self.session

    # ------------------------------------------------------------------ shared public API
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
    ) -> SendResult:
        """Send one SMS to one number; return the gateway's acceptance.

        Never retried once the request may have reached the gateway (see module docstring).

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
        )
        if outcome.blacklisted:
            raise SmsRecipientBlacklistedError(
                f"{self.hook_name}: {mask_number(recipient)} is on a STOP or bounce list; nothing was sent",
                conn_id=self.sms_conn_id,
            )
        return outcome.sent[0]

    def send_sms_batch(
        self,
        recipients: Sequence[str],
        message: str,
        *,
        sender: str | None = None,
        campaign_name: str | None = None,
        category: str | None = None,
        send_at: datetime | str | None = None,
        marketing: bool = False,
        outside_marketing_hours: OutsideMarketingHours = "schedule",
        marketing_window: MarketingWindow | None = None,
    ) -> BatchSendOutcome:
        """Send one message to up to :attr:`max_recipients_per_send` numbers in one request.

        The same rules as :class:`~airflow_provider_sms.operators.send.SmsSendOperator` apply
        first (:meth:`validate_send`): numbers go out, and come back, in E.164. ``sender`` defaults
        to the connection's ``sender`` extra; ``send_at`` (aware datetime or ISO-8601 text)
        schedules the send. See :meth:`send_sms` for the retry rules. A marketing send outside
        ``marketing_window`` (default: French hours) obeys ``outside_marketing_hours``.

        :raises SmsValidationError: every problem at once, before any request.
        """
        problems, entries = [], []
        if isinstance(recipients, (str, bytes)) or not isinstance(recipients, Sequence):
            problems.append(
                f"recipients must be a list of numbers, got {type(recipients).__name__} "
                "(use send_sms for one number)"
            )
        else:
            entries = list(recipients)
            if not 1 <= len(entries) <= self.max_recipients_per_send:
                problems.append(
                    f"{self.hook_name} sends to 1 to {self.max_recipients_per_send} number(s) per request"
                )
        try:
            validated = self.validate_send(
                entries,
                message,
                sender=sender,
                send_at=send_at,
                campaign_name=campaign_name,
                category=category,
                marketing=marketing,
                outside_marketing_hours=outside_marketing_hours,
                marketing_window=marketing_window,
            )
        except SmsValidationError as exc:
            found = [p for p in exc.problems if not (problems and p == "no recipients given")]
            raise SmsValidationError([*problems, *found]) from None
        if problems:
            raise SmsValidationError(problems)
        if validated.marketing_note:
            self.log.info("%s", validated.marketing_note)
        return self.send_request(validated.request)

    def get_delivery_status(
        self, message_id: str | None = None, recipient: str | None = None
    ) -> DeliveryStatus:
        """Return where one message stands."""
        raise NotImplementedError

    def get_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """Statuses of many messages (dicts with ``message_id`` and ``recipient``), batched."""
        raise NotImplementedError

    async def aget_delivery_status(
        self, message_id: str | None = None, recipient: str | None = None
    ) -> DeliveryStatus:
        """Async twin of :meth:`get_delivery_status`."""
        statuses = await self.aget_delivery_statuses([{"message_id": message_id, "recipient": recipient}])
        return statuses[0]

    async def aget_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """Async twin of :meth:`get_delivery_statuses`."""
        raise NotImplementedError

    def statuses_by_tag(self, tag: str) -> list[DeliveryStatus]:
        """Every number sent under ``tag`` (where ``capabilities.reconciliation`` is ``"by_request_tag"``)."""
        raise SmsValidationError([f"{self.hook_name} cannot list messages by tag; nothing was sent"])

    def add_to_blacklist(self, recipient: str, list_type: ListType = "unsubscribers") -> bool:
        """Put a number on a list; True if added, False if it was already there."""
        raise NotImplementedError

    def remove_from_blacklist(
        self, recipient: str, list_type: ListType = "unsubscribers", *, entry_id: str | None = None
    ) -> bool:
        """Take a number off a list; True if removed, False if it was not there.

        ``entry_id`` (from :meth:`get_blacklist`) saves a list read where the gateway deletes by
        entry id (:attr:`GatewayCapabilities.blacklist_removal_by_entry_id`); ignored elsewhere.
        """
        raise NotImplementedError

    def get_blacklist(self, list_type: ListType = "unsubscribers") -> list[BlacklistEntry]:
        """Every number on a list."""
        raise NotImplementedError

    def get_account_stats(self) -> dict[str, Any]:
        """Account counters and remaining credit; always has a numeric ``credits`` key."""
        raise NotImplementedError

    def list_subaccounts(self, max_pages: int = 1000) -> list[dict[str, Any]]:
        """Every sub-account (where :attr:`GatewayCapabilities.subaccounts`), without their keys."""
        raise SmsValidationError([f"{self.hook_name} has no sub-accounts; nothing was sent"])

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
