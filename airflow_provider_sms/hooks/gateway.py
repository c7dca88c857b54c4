"""The gateway contract: everything a gateway hook must say and do, on one page.

A gateway hook (:class:`~airflow_provider_sms.hooks.primotexto.PrimotextoHook`,
:class:`~airflow_provider_sms.hooks.smspartner.SmsPartnerHook`) subclasses
:class:`~airflow_provider_sms.hooks.base.SmsHook`, which implements the shared machinery (the
connection, the HTTP transport and its retries, validation, send, inbound) on top of
:class:`Gateway`. What is abstract here is what the gateway itself must provide; the type checker
and ``abc`` refuse a hook that leaves one out. What has a body is optional: a default that a
gateway overrides when it has more to say (its own characters, schedule step, category rules) or
a refusal for a capability it lacks (``GatewayCapabilities`` says which it has).

Adding a third gateway: a ``hooks/<gateway>.py`` with the hook and a ``hooks/<gateway>_api.py``
with its wire (calls, replies, error codes), one entry in
:data:`~airflow_provider_sms.get_provider_info.GATEWAYS`, and its emulator part. Nothing outside
the hooks branches on a vendor.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks.settings import ConnectionSettings
from airflow_provider_sms.rules.schedule import step_problems
from airflow_provider_sms.rules.text import GSM7_BASIC, count_segments
from airflow_provider_sms.rules.transliterate import (
    GSM7_ALPHABET,
    PreparedText,
    transliterate,
    unsupported_problems,
)

if TYPE_CHECKING:
    from collections.abc import Generator, Mapping, Sequence
    from datetime import datetime

    from airflow_provider_sms.exceptions import SmsGatewayError
    from airflow_provider_sms.hooks.transport import Call
    from airflow_provider_sms.hooks.webhook_link import InboundPost
    from airflow_provider_sms.model.results import (
        BatchSendOutcome,
        BlacklistEntry,
        CancelResult,
        DeliveryStatus,
        InboundMessage,
        ListType,
    )
    from airflow_provider_sms.rules.request import SendRequest
    from airflow_provider_sms.rules.text import SegmentInfo

#: How a send whose reply was lost can be settled with the gateway's records:
#: ``"by_recipient"`` (the gateway names the latest message to a number), ``"by_request_tag"``
#: (each request carries a unique tag, and the gateway lists the numbers sent under a tag) or
#: ``"none"``.
Reconciliation = Literal["by_recipient", "by_request_tag", "none"]


@functools.cache
def _plain_characters(alphabet: frozenset[str]) -> frozenset[str]:
    return GSM7_BASIC & alphabet


@dataclass(frozen=True)
class LatestMessage:
    """The latest message a gateway reports to a number (what ``"by_recipient"`` reconciliation reads).

    :param message_id: the gateway's id of that message (``None``: the reply named none).
    :param created_at: when the gateway created it, epoch seconds on the gateway's clock
        (``None``: the reply gave no usable time).
    """

    message_id: str | None
    created_at: float | None


@dataclass(frozen=True)
class GatewayCapabilities:
    """One gateway's abilities and limits.

    :param max_recipients_per_send: numbers one send request may carry.
    :param list_types: the blacklists the gateway keeps.
    :param blacklist_removal_by_entry_id: removing a number needs its list entry id (so a bulk
        removal reads the list once first).
    :param subaccounts: the gateway has a sub-account API (:meth:`Gateway.list_subaccounts`).
    :param schedule_step_minutes: a scheduled send must fall on a multiple of these minutes.
    :param max_segments: most concatenated SMS one message may need.
    :param max_segments_source: where :attr:`max_segments` comes from, for error messages.
    :param reconciliation: how an unknown send outcome can be settled (see :data:`Reconciliation`).
    :param price_per_segment: what one SMS segment costs, in :attr:`credit_unit`, for the spend
        guard's estimate (``None``: unknown, so ``max_credits`` cannot be checked).
    :param credit_unit: the unit of the account's ``credits`` and of :attr:`price_per_segment`.
    :param replies_by_pull: the gateway lists the replies it received (:meth:`Gateway.replies_call`).
    :param status_summary_by_category: the gateway answers a category's figures in one request
        (:meth:`Gateway.get_status_summary`), so delivery tracking skips per-message requests
        while they do not move.
    :param unicode: the gateway can send a text in UCS-2 (``unsupported_characters="unicode"``).
    :param unsupported_characters: what a send does by default with characters outside the
        gateway's alphabet: ``"fail"``, ``"replace"`` or ``"unicode"``
        (:mod:`~airflow_provider_sms.rules.transliterate`).
    :param character_refusal: how the gateway names its refusal of a character, for error messages.
    :param max_texts_per_request: different texts one send request may carry (each number its
        own, ``SendRequest.texts``); 1: one text per request.
    :param cancel_scheduled: a scheduled send can be taken back before it goes out
        (:meth:`Gateway.cancel_scheduled`).
    :param replies_by_webhook: the gateway posts replies and STOPs to a URL of ours (the provider's
        webhook in the api-server stores them; the hook reads them back from there, so
        ``replies_by_pull`` holds once the connection names the webhook).
    """

    max_recipients_per_send: int
    list_types: tuple[ListType, ...]
    blacklist_removal_by_entry_id: bool
    subaccounts: bool
    schedule_step_minutes: int
    max_segments: int
    max_segments_source: str
    reconciliation: Reconciliation
    price_per_segment: float | None = None
    credit_unit: str = "credits"
    replies_by_pull: bool = False
    status_summary_by_category: bool = False
    unicode: bool = True
    unsupported_characters: str = "unicode"
    character_refusal: str = "not GSM-7"
    max_texts_per_request: int = 1
    cancel_scheduled: bool = False
    replies_by_webhook: bool = False


class Gateway(ABC):
    """What a gateway hook provides: its identity, its capabilities, its wire, its own rules."""

    # ------------------------------------------------------------------ identity
    #: The Airflow connection type this hook serves (``get_provider_info`` lists it).
    conn_type: ClassVar[str]
    #: The gateway's name in messages ("Primotexto").
    hook_name: ClassVar[str]
    default_conn_name: ClassVar[str]
    #: Host used when the connection leaves it empty.
    default_host: ClassVar[str]
    #: Path prefix of the API version (``/v2`` or ``/v1``).
    api_prefix: ClassVar[str]
    #: What the gateway can do and its limits.
    capabilities: ClassVar[GatewayCapabilities]
    #: Vendor error code -> (exception class, meaning).
    error_codes: ClassVar[dict[int, tuple[type[SmsGatewayError], str]]] = {}
    #: The settings type this gateway's connection parses into (typed extras).
    settings_class: ClassVar[type[ConnectionSettings]] = ConnectionSettings
    #: The characters the gateway sends without UCS-2 (default: GSM-7, basic and extension).
    alphabet: ClassVar[frozenset[str]] = GSM7_ALPHABET

    # ------------------------------------------------------------------ wire: credentials and errors
    @abstractmethod
    def _authenticate(
        self, call: Call, api_key: str
    ) -> tuple[dict[str, str], dict[str, Any], dict[str, Any] | None]:
        """Headers, query params and body of ``call`` with the API key where the vendor wants it."""

    @abstractmethod
    def _vendor_error(self, http_status: int, payload: Any) -> tuple[int | None, str | None] | None:
        """``(code, vendor message)`` when ``payload`` is an error reply, else ``None``."""

    # ------------------------------------------------------------------ sending
    @abstractmethod
    def _send_steps(self, request: SendRequest) -> Generator[Call, Any, BatchSendOutcome]:
        """The exchange of one send request: yield the call(s), read each reply (errors are thrown
        in at the ``yield``), return the outcome. Driven by the blocking and the async transport
        alike (:mod:`~airflow_provider_sms.hooks.exchange`)."""

    def statuses_by_tag(self, tag: str) -> list[DeliveryStatus]:
        """Every number sent under ``tag``, all pages read (where ``reconciliation`` is
        ``"by_request_tag"``)."""
        raise SmsValidationError([f"{self.hook_name} cannot list messages by tag; nothing was sent"])

    def reconciliation_tag(self, category: str | None, unique: str) -> str:
        """The tag one send request carries (where ``reconciliation`` is ``"by_request_tag"``):
        ``unique`` (a tag no other request uses), or, when the send has a ``category``, that
        category with as much of ``unique`` as the gateway's tags hold."""
        return unique

    def latest_message_to(self, recipient: str) -> LatestMessage | None:
        """The latest message to a number, ``None`` when the gateway knows none (where
        ``reconciliation`` is ``"by_recipient"``)."""
        raise SmsValidationError([f"{self.hook_name} cannot tell the latest message to a number"])

    def cancel_scheduled(self, message_ids: Sequence[str]) -> list[CancelResult]:
        """Take back scheduled sends, one result per distinct id in input order (where
        ``cancel_scheduled``); refused before any request elsewhere."""
        raise SmsValidationError([f"{self.hook_name} cannot cancel a scheduled send; nothing was asked"])

    # ------------------------------------------------------------------ delivery status
    @abstractmethod
    def get_delivery_status(
        self, message_id: str | None = None, recipient: str | None = None
    ) -> DeliveryStatus:
        """Where one message stands."""

    @abstractmethod
    def get_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """Statuses of many messages (dicts with ``message_id`` and ``recipient``), in input order."""

    @abstractmethod
    async def aget_delivery_statuses(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryStatus]:
        """Async twin of :meth:`get_delivery_statuses`."""

    def get_status_summary(self, category: str) -> dict[str, int]:
        """A category's figures in one request (where ``status_summary_by_category``)."""
        raise SmsValidationError([f"{self.hook_name} has no figures by category; nothing was asked"])

    async def aget_status_summary(self, category: str) -> dict[str, int]:
        """Async twin of :meth:`get_status_summary`."""
        return self.get_status_summary(category)

    # ------------------------------------------------------------------ lists
    @abstractmethod
    def add_to_blacklist(self, recipient: str, list_type: ListType = "unsubscribers") -> bool:
        """Put a number on a list; ``True`` if added, ``False`` if it was already there."""

    @abstractmethod
    def remove_from_blacklist(
        self, recipient: str, list_type: ListType = "unsubscribers", *, entry_id: str | None = None
    ) -> bool:
        """Take a number off a list; ``True`` if removed, ``False`` if it was not there.

        ``entry_id`` (from a list read) saves a read where the gateway deletes by entry id
        (``blacklist_removal_by_entry_id``); ignored elsewhere.
        """

    @abstractmethod
    def _blacklist_call(self, list_type: ListType) -> Call:
        """The request reading a whole list."""

    @abstractmethod
    def _parse_blacklist(self, reply: Any) -> list[BlacklistEntry]:
        """The live entries of a :meth:`_blacklist_call` answer."""

    # ------------------------------------------------------------------ inbound
    def _replies_call(self, category: str | None) -> Call:
        """The request listing the replies (where ``replies_by_pull``)."""
        raise SmsValidationError(
            [f"{self.hook_name} does not let clients read replies (only its STOP list); nothing was asked"]
        )

    def _parse_replies(self, reply: Any, category: str | None) -> list[InboundMessage]:
        """The replies in a :meth:`_replies_call` answer."""
        return []

    def read_webhook_post(self, payload: Mapping[str, Any]) -> InboundPost:
        """What a post of the gateway to the provider's reply webhook says (where
        ``replies_by_webhook``), checked (:func:`~airflow_provider_sms.hooks.webhook_link.checked_post`).

        :raises SmsValidationError: not a reply nor a STOP of this gateway (never quoting values).
        """
        raise SmsValidationError([f"{self.hook_name} posts nothing to the provider's webhook"])

    # ------------------------------------------------------------------ account
    @abstractmethod
    def get_account_stats(self) -> dict[str, Any]:
        """Account counters and remaining credit under ``credits`` (a number, or ``None`` when
        the gateway did not say)."""

    def list_subaccounts(self, max_pages: int = 1000) -> list[dict[str, Any]]:
        """Every sub-account, without their keys (where ``subaccounts``)."""
        raise SmsValidationError([f"{self.hook_name} has no sub-accounts; nothing was sent"])

    # ------------------------------------------------------------------ the gateway's own rules
    @property
    def plain_characters(self) -> frozenset[str]:
        """Characters whose texts this gateway judges by length alone: for a non-blank text of
        them, :meth:`text_to_send` changes nothing and :meth:`message_problems` and
        :meth:`segments_of` give every text of one length the same answer (one checked text
        stands for all: :mod:`~airflow_provider_sms.rules.row_columns`). Default: GSM-7's basic
        table within :attr:`alphabet`. A gateway whose rules read more than the length narrows it."""
        return _plain_characters(self.alphabet)

    def segments_of(self, text: str) -> SegmentInfo:
        """How ``text`` travels on this gateway (encoding, units, SMS parts)."""
        return count_segments(text)

    def unsupported_mode(self, unsupported_characters: str | None = None) -> str:
        """``unsupported_characters``, or the gateway's default when ``None``."""
        return unsupported_characters or self.capabilities.unsupported_characters

    def text_to_send(self, text: str, unsupported_characters: str | None = None) -> PreparedText:
        """``text`` as it will go out: characters outside :attr:`alphabet` replaced in ``"replace"``
        mode, unchanged otherwise."""
        if self.unsupported_mode(unsupported_characters) == "replace":
            return transliterate(text, self.alphabet)
        return PreparedText(text)

    def character_problems(self, text: str, unsupported_characters: str | None = None) -> list[str]:
        """Characters this gateway refuses in ``text`` (already as it will go out), or
        ``"unicode"`` where the gateway cannot send UCS-2."""
        return unsupported_problems(
            text,
            self.unsupported_mode(unsupported_characters),
            alphabet=self.alphabet,
            gateway=self.hook_name,
            unicode=self.capabilities.unicode,
            refusal=self.capabilities.character_refusal,
        )

    def category_problems(self, category: str) -> list[str]:
        """What this gateway refuses in a send's category (none beyond the generic rules)."""
        return []

    def schedule_problems(self, when: datetime) -> list[str]:
        """What this gateway refuses in a schedule (``when`` aware UTC, already in the future)."""
        return step_problems(when, self.capabilities.schedule_step_minutes, self.hook_name)
