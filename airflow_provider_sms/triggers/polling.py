"""PollingTrigger: the poll loop of the delivery and reply triggers.

A subclass says how to poll once (:meth:`PollingTrigger._poll_once`: its final event, or ``None``
to poll again) and what its events hold (:meth:`PollingTrigger._payload`). The loop owns the rest:
the async hook, the pacing, the backoff, the deadline and the ``error`` event.

Pacing: polls start ``poke_interval`` seconds apart (the pause after an answered poll is
``poke_interval`` minus the time the poll took); after a transient gateway failure the pause is
:func:`~airflow_provider_sms.tracking.delivery.backoff_delay` (doubling, at least ``Retry-After``, at most
``max_backoff``) from the failed poll's end. Every pass that does not return sleeps at least
:data:`~airflow_provider_sms.tracking.delivery.MIN_POLL_INTERVAL` and never past ``deadline``; at the
deadline a ``timeout`` event fires. An :class:`~airflow_provider_sms.exceptions.SmsError` or an
unexpected exception ends the wait with one event: ``status`` ``error``, ``error`` (exception class
name), ``message`` (numbers masked, no secret) and, for gateway errors, ``http_status`` and ``code``.
"""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_sms.exceptions import SmsError, SmsGatewayError
from airflow_provider_sms.hooks import aget_sms_hook
from airflow_provider_sms.tracking.delivery import DEFAULT_MAX_BACKOFF, MIN_POLL_INTERVAL, backoff_delay

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from airflow_provider_sms.hooks.base import SmsHook

#: The clock a poll's duration is measured with (read at each poll; tests replace it).
CLOCK: Callable[[], float] = time.monotonic


class PollingTrigger(BaseTrigger):
    """Poll until :meth:`_poll_once` returns an event, the deadline passes, or an error stops it.

    :param sms_conn_id: Airflow connection of the gateway.
    :param poke_interval: seconds from the start of one poll to the start of the next.
    :param deadline: Unix time after which a ``timeout`` event fires (``None``: no deadline).
    :param max_backoff: cap, in seconds, of the pause after failed polls.
    """

    #: How the log names one poll ("<poll_name> failed ...; backing off").
    poll_name: ClassVar[str] = "Poll"
    #: How the log names the whole wait ("<wait_name> stopped: ...").
    wait_name: ClassVar[str] = "Polling"

    def __init__(
        self,
        *,
        sms_conn_id: str,
        poke_interval: float = 60.0,
        deadline: float | None = None,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
    ) -> None:
        super().__init__()
        self.sms_conn_id = str(sms_conn_id)
        self.poke_interval = float(poke_interval)
        self.deadline = float(deadline) if deadline is not None else None
        self.max_backoff = float(max_backoff)

    # ------------------------------------------------------------------ what a subclass says
    def _begin(self) -> None:
        """Set up the state of one wait (first thing :meth:`run` does; its errors propagate)."""

    @abstractmethod
    async def _poll_once(self, hook: SmsHook) -> TriggerEvent | None:
        """Poll once: the final event, or ``None`` to poll again. A transient
        :class:`~airflow_provider_sms.exceptions.SmsGatewayError` raised here backs off; any other
        error ends the wait with an ``error`` event."""

    def _payload(self, status: str) -> dict[str, Any]:
        """The payload of an event with this ``status`` (subclasses add what they know)."""
        return {"status": status}

    def _timeout_event(self) -> TriggerEvent:
        return TriggerEvent(self._payload("timeout"))

    def _error_event(self, exc: BaseException) -> TriggerEvent:
        from airflow_provider_sms.hooks.transport import scrub  # here: DAG files import the triggers

        payload = self._payload("error")
        payload.update(error=type(exc).__name__, message=scrub(exc))
        if isinstance(exc, SmsGatewayError):
            payload.update(http_status=exc.http_status, code=exc.code)
        return TriggerEvent(payload)

    async def _pause(self, seconds: float) -> None:
        """The only place the loop waits (every pass that does not return comes through here)."""
        await asyncio.sleep(seconds)

    # ------------------------------------------------------------------ loop
    def _clamp(self, delay: float) -> float | None:
        """``delay`` cut at the deadline, at least :data:`MIN_POLL_INTERVAL`; ``None`` past it."""
        if self.deadline is not None:
            remaining = self.deadline - time.time()
            if remaining <= 0:
                return None
            delay = min(delay, remaining)
        return max(delay, MIN_POLL_INTERVAL)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll, pace, back off; yield exactly one event and return."""
        self._begin()
        backoff = Backoff(self.poke_interval, self.max_backoff)
        try:
            hook = await aget_sms_hook(self.sms_conn_id)
            while True:
                started = CLOCK()
                try:
                    event = await self._poll_once(hook)
                except SmsGatewayError as exc:
                    if not exc.transient:
                        raise
                    delay = backoff.failed(exc)
                    self.log.warning(
                        "%s failed (%s, attempt %d); backing off",
                        self.poll_name,
                        type(exc).__name__,
                        backoff.failures,
                    )
                else:
                    if event is not None:
                        yield event
                        return
                    backoff.succeeded()
                    delay = self.poke_interval - (CLOCK() - started)  # start to start
                pause = self._clamp(delay)
                if pause is None:
                    yield self._timeout_event()
                    return
                await self._pause(pause)
        except SmsError as exc:
            event = self._error_event(exc)
            self.log.error("%s stopped: %s", self.wait_name, event.payload["message"])
            yield event
        except Exception as exc:
            self.log.exception("%s failed unexpectedly", self.wait_name)
            yield self._error_event(exc)


class Backoff:
    """Failed polls in a row and the pause after each: doubling from ``poke_interval``, at least
    the gateway's ``Retry-After``, at most ``max_backoff``. Shared by every polling trigger."""

    def __init__(self, poke_interval: float, max_backoff: float) -> None:
        self.poke_interval, self.max_backoff = poke_interval, max_backoff
        self.failures = 0

    def failed(self, exc: BaseException, *, at_least_failures: int = 0) -> float:
        """Count a failed poll; return the pause before the next one."""
        self.failures = max(self.failures + 1, at_least_failures)
        retry_after = exc.retry_after if isinstance(exc, SmsGatewayError) else None
        return backoff_delay(self.failures, self.poke_interval, retry_after, self.max_backoff)

    def succeeded(self) -> None:
        """A poll was answered: the next failure starts from the first pause again."""
        self.failures = 0
