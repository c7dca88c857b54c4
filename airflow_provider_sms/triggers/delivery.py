"""SmsDeliveryTrigger: wait in the triggerer until every tracked SMS is final.

The trigger is what :class:`~airflow_provider_sms.sensors.delivery.SmsDeliverySensor` defers to. It
holds only JSON primitives, reads its connection without blocking the event loop, polls the
gateway with the async hook (SMS Partner ``multi-status`` 500 pairs per request, Primotexto one
``/messages/stats`` request per category, and one request per message only when those figures
move), and keeps the same
:class:`~airflow_provider_sms.delivery.DeliveryTracker` as the sensor's ``poke()``: it asks only
about messages that are not final yet, and decides with the same
:func:`~airflow_provider_sms.delivery.classify`.

Every pass of the loop either yields the one final event and returns, or sleeps: ``poke_interval``
between polls, a capped exponential backoff (at least the gateway's ``Retry-After``) after a
rate limit or a transient failure. It never spins.

Event payload (small JSON, and no phone number: the triggerer logs every event it fires):
``{"status": "success" | "failure" | "timeout" | "error", "statuses": [{"index", "message_id",
"state", "vendor_state", "updated_at"}], "counts": {state: n}}``, where ``index`` is the message's
position in ``messages`` (the sensor joins the numbers back); an ``error`` event adds ``error``
(exception class name), ``message`` (no secret, numbers masked) and, for gateway errors,
``http_status`` and ``code``.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Literal

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_sms.delivery import (
    DEFAULT_FAILURE_STATES,
    DEFAULT_MAX_BACKOFF,
    MIN_POLL_INTERVAL,
    DeliveryOutcome,
    DeliveryTracker,
    as_status,
    describe_counts,
    event_statuses,
)
from airflow_provider_sms.exceptions import SmsError, SmsGatewayError
from airflow_provider_sms.hooks import aget_sms_hook

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

#: The ``status`` of the trigger's one event.
EventStatus = Literal["success", "failure", "timeout", "error"]


class SmsDeliveryTrigger(BaseTrigger):
    """Poll delivery statuses until every message is final, then fire one event.

    :param sms_conn_id: Airflow connection of type ``primotexto`` or ``smspartner``.
    :param messages: every message to track, as ``{"message_id": str, "recipient": str | None}``
        dicts (see :func:`~airflow_provider_sms.rules.messages.normalize_messages`).
    :param final_statuses: statuses (``DeliveryStatus`` dicts) of messages already known to be
        final: they are not asked about again, and they are part of the final event, so the event
        alone tells the whole story (``dag.test()`` drops ``defer(kwargs=...)`` on resume).
    :param failure_states: final states that make the outcome a failure.
    :param poke_interval: seconds between two polls (at least :data:`MIN_POLL_INTERVAL`).
    :param deadline: Unix time after which the trigger stops and fires a ``timeout`` event; the
        sensor passes its own timeout here as well as to ``defer()``, so the outcome is the same
        whether the triggerer's timeout or this one fires first (and ``dag.test()``, whose
        in-process triggerer has no timeout, still ends).
    :param max_backoff: cap, in seconds, of the pause after failed polls (see
        :func:`~airflow_provider_sms.delivery.backoff_delay`).
    """

    def __init__(
        self,
        *,
        sms_conn_id: str,
        messages: list[dict[str, Any]],
        final_statuses: list[dict[str, Any]] | None = None,
        failure_states: list[str] | tuple[str, ...] = DEFAULT_FAILURE_STATES,
        poke_interval: float = 60.0,
        deadline: float | None = None,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
    ) -> None:
        super().__init__()
        self.sms_conn_id = str(sms_conn_id)
        self.messages = [
            {"message_id": str(m["message_id"]), "recipient": m.get("recipient") or None}
            | ({"category": str(m["category"])} if m.get("category") else {})
            for m in messages
        ]
        self.final_statuses = [as_status(s).to_dict() for s in final_statuses or []]
        self.failure_states = [str(s) for s in failure_states]
        self.poke_interval = float(poke_interval)
        self.deadline = float(deadline) if deadline is not None else None
        self.max_backoff = float(max_backoff)

    def __repr__(self) -> str:
        """Counts only: the kwargs hold phone numbers, and a repr may end up in a log."""
        return f"<{type(self).__qualname__} conn={self.sms_conn_id} messages={len(self.messages)}>"

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and JSON-primitive keyword arguments (``Trigger(**kwargs)`` rebuilds it)."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "sms_conn_id": self.sms_conn_id,
                "messages": [dict(m) for m in self.messages],
                "final_statuses": [dict(s) for s in self.final_statuses],
                "failure_states": list(self.failure_states),
                "poke_interval": self.poke_interval,
                "deadline": self.deadline,
                "max_backoff": self.max_backoff,
            },
        )

    # ------------------------------------------------------------------ events
    @staticmethod
    def _payload(status: EventStatus, outcome: DeliveryOutcome) -> dict[str, Any]:
        return {"status": status, "statuses": event_statuses(outcome), "counts": dict(outcome.counts)}

    def _final_event(self, outcome: DeliveryOutcome) -> TriggerEvent:
        status: EventStatus = "failure" if outcome.verdict == "failure" else "success"
        return TriggerEvent(self._payload(status, outcome))

    def _timeout_event(self, outcome: DeliveryOutcome) -> TriggerEvent:
        return TriggerEvent(self._payload("timeout", outcome))

    @classmethod
    def _error_event(cls, exc: BaseException, outcome: DeliveryOutcome) -> TriggerEvent:
        from airflow_provider_sms.hooks.base import scrub

        payload = cls._payload("error", outcome)
        payload.update(error=type(exc).__name__, message=scrub(exc))
        if isinstance(exc, SmsGatewayError):
            payload.update(http_status=exc.http_status, code=exc.code)
        return TriggerEvent(payload)

    async def _pause(self, seconds: float) -> None:
        """The only place the loop waits (every pass that does not return comes through here)."""
        await asyncio.sleep(seconds)

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.time()

    # ------------------------------------------------------------------ loop
    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll, classify, sleep; yield exactly one event and return."""
        tracker = DeliveryTracker(self.messages, self.failure_states, self.final_statuses)
        last_progress = ""
        try:
            hook = await aget_sms_hook(self.sms_conn_id)
            while True:
                outcome = await tracker.apoll(hook)
                if outcome.done:
                    self.log.info("All %d SMS are final: %s", len(self.messages), describe_counts(outcome))
                    yield self._final_event(outcome)
                    return
                if tracker.last_error is not None:
                    self.log.warning(
                        "Delivery status poll failed (%s, attempt %d); backing off",
                        type(tracker.last_error).__name__,
                        tracker.failures,
                    )
                elif (progress := describe_counts(outcome)) != last_progress:
                    self.log.info("Waiting for delivery: %s", progress)
                    last_progress = progress
                delay = tracker.next_delay(self.poke_interval, self.max_backoff)
                remaining = self._remaining()
                if remaining is not None:
                    if remaining <= 0:
                        self.log.info("Deadline reached with %d SMS not final", len(outcome.pending))
                        yield self._timeout_event(outcome)
                        return
                    delay = max(min(delay, remaining), MIN_POLL_INTERVAL)
                await self._pause(delay)
        except SmsError as exc:
            self.log.error("Delivery tracking stopped: %s", exc)
            yield self._error_event(exc, tracker.outcome)
        except Exception as exc:
            self.log.exception("Delivery tracking failed unexpectedly")
            yield self._error_event(exc, tracker.outcome)
