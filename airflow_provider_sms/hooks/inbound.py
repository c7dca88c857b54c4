"""Inbound SMS on the hook: replies (where the gateway lists them) and the STOP list as messages.

:class:`InboundMixin` is one of :class:`~airflow_provider_sms.hooks.base.SmsHook`'s bases. A
gateway hook supplies the wire part: ``_blacklist_call`` / ``_parse_blacklist`` (every gateway),
and ``_replies_call`` / ``_parse_replies`` where
:attr:`~airflow_provider_sms.hooks.capabilities.GatewayCapabilities.replies_by_pull` is set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_sms.exceptions import SmsNotFoundError, SmsValidationError
from airflow_provider_sms.model.results import InboundMessage
from airflow_provider_sms.rules.clock import epoch_of_object_id, iso_from_epoch

if TYPE_CHECKING:
    import aiohttp

    from airflow_provider_sms.hooks.capabilities import GatewayCapabilities
    from airflow_provider_sms.hooks.transport import Call
    from airflow_provider_sms.model.results import BlacklistEntry, InboundKind, ListType


class InboundMixin:
    """Read what recipients sent back: :meth:`get_replies`, :meth:`get_stops`, :meth:`get_inbound`."""

    capabilities: ClassVar[GatewayCapabilities]
    hook_name: ClassVar[str]
    sms_conn_id: str

    if TYPE_CHECKING:

        def call(self, call: Call) -> Any: ...

        async def acall(self, call: Call, session: aiohttp.ClientSession | None = None) -> Any: ...

        def check_list_type(self, list_type: object) -> None: ...

    # ------------------------------------------------------------------ gateway part
    def _replies_call(self, category: str | None) -> Call:
        """The request listing the replies (gateways with ``replies_by_pull``)."""
        raise NotImplementedError

    def _parse_replies(self, reply: Any, category: str | None) -> list[InboundMessage]:
        """The replies in a :meth:`_replies_call` answer."""
        raise NotImplementedError

    def _blacklist_call(self, list_type: ListType) -> Call:
        """The request reading a whole list."""
        raise NotImplementedError

    def _parse_blacklist(self, reply: Any) -> list[BlacklistEntry]:
        """The live entries of a :meth:`_blacklist_call` answer."""
        raise NotImplementedError

    # ------------------------------------------------------------------ public API
    def check_replies(self) -> None:
        """Refuse, before any request, on a gateway that does not list replies."""
        if not self.capabilities.replies_by_pull:
            raise SmsValidationError(
                [
                    f"{self.hook_name} does not let clients read replies (only its STOP list); nothing was asked"
                ]
            )

    def get_replies(self, category: str | None = None) -> list[InboundMessage]:
        """Every reply the gateway lists (for ``category`` when given), oldest first."""
        self.check_replies()
        return self._parse_replies(self.call(self._replies_call(category)), category)

    async def aget_replies(self, category: str | None = None) -> list[InboundMessage]:
        """Async twin of :meth:`get_replies`."""
        self.check_replies()
        return self._parse_replies(await self.acall(self._replies_call(category)), category)

    async def aget_blacklist(self, list_type: ListType = "unsubscribers") -> list[BlacklistEntry]:
        """Async twin of ``get_blacklist``."""
        self.check_list_type(list_type)
        return self._parse_blacklist(await self.acall(self._blacklist_call(list_type)))

    def get_stops(self) -> list[InboundMessage]:
        """The STOP list as inbound messages (``kind="stop"``, id = the list entry id)."""
        self.check_list_type("unsubscribers")
        return self._stops(self.call(self._blacklist_call("unsubscribers")))

    async def aget_stops(self) -> list[InboundMessage]:
        """Async twin of :meth:`get_stops`."""
        return self._stops(await self.acall(self._blacklist_call("unsubscribers")))

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
