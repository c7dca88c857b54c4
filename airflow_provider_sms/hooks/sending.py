"""The send half of :class:`~airflow_provider_sms.hooks.base.SmsHook`: one gateway exchange per
request (:meth:`SendMixin._send_steps`, built once per gateway), driven by ``requests``
(:meth:`SendMixin.send_request`) or by aiohttp (:meth:`SendMixin.asend_request`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.hooks.exchange import arun, run

if TYPE_CHECKING:
    from collections.abc import Generator

    import aiohttp

    from airflow_provider_sms.hooks.capabilities import GatewayCapabilities
    from airflow_provider_sms.hooks.settings import ConnectionSettings
    from airflow_provider_sms.hooks.transport import Call
    from airflow_provider_sms.model.results import SendResult
    from airflow_provider_sms.rules.request import SendRequest


@dataclass
class BatchSendOutcome:
    """Result of one send request that may cover several recipients.

    :param sent: one :class:`SendResult` per accepted recipient.
    :param blacklisted: E.164 numbers the gateway refused because they are on a STOP or bounce
        list; nothing was sent to them.
    """

    sent: list[SendResult] = field(default_factory=list)
    blacklisted: list[str] = field(default_factory=list)


class SendMixin:
    """Sends a validated :class:`SendRequest` through either transport, with the same exchange."""

    hook_name: ClassVar[str]
    capabilities: ClassVar[GatewayCapabilities]

    if TYPE_CHECKING:

        def call(self, call: Call) -> Any: ...

        async def acall(self, call: Call, session: aiohttp.ClientSession | None = None) -> Any: ...

        def async_session(self) -> aiohttp.ClientSession: ...

        async def aget_settings(self) -> ConnectionSettings: ...

    def _check_size(self, request: SendRequest) -> None:
        size = self.capabilities.max_recipients_per_send
        if not 1 <= len(request.recipients) <= size:
            raise SmsValidationError([f"{self.hook_name} sends to 1 to {size} number(s) per request"])

    def send_request(self, request: SendRequest) -> BatchSendOutcome:
        """Send a request built by :meth:`validate_send` (``ValidatedSend.request_for``); only its
        size is checked here: the rules were applied when it was validated."""
        self._check_size(request)
        return run(self._send_steps(request), self.call)

    async def asend_request(
        self, request: SendRequest, session: aiohttp.ClientSession | None = None
    ) -> BatchSendOutcome:
        """Async twin of :meth:`send_request` (aiohttp); pass ``session`` to reuse connections."""
        self._check_size(request)
        if session is None:
            async with self.async_session() as own:
                return await self.asend_request(request, own)
        await self.aget_settings()
        return await arun(self._send_steps(request), lambda call: self.acall(call, session))

    def _send(self, request: SendRequest) -> BatchSendOutcome:
        """Blocking run of :meth:`_send_steps` (kept for callers of the former hook method)."""
        return run(self._send_steps(request), self.call)

    def _send_steps(self, request: SendRequest) -> Generator[Call, Any, BatchSendOutcome]:
        """Gateway part: yield the call(s) of one send request, read the replies, return the outcome."""
        raise NotImplementedError
