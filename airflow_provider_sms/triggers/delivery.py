"""SmsDeliveryTrigger: wait in the triggerer until every tracked SMS is final.

The trigger is what :class:`~airflow_provider_sms.sensors.delivery.SmsDeliverySensor` defers to. It
holds only JSON primitives, reads its connection without blocking the event loop, polls the
gateway with the async hook (SMS Partner ``multi-status`` 500 pairs per request, Primotexto one
``/messages/stats`` request per category, and one request per message only when those figures
move), and keeps the same
:class:`~airflow_provider_sms.tracking.delivery.DeliveryTracker` as the sensor's ``poke()``: it asks only
about messages that are not final yet, and decides with the same
:func:`~airflow_provider_sms.tracking.delivery.classify`.

The loop, its pacing (polls start ``poke_interval`` apart, a capped exponential backoff after a
rate limit or a transient failure, never a spin) and its deadline are
:class:`~airflow_provider_sms.triggers.polling.PollingTrigger`'s.

Event payload (small JSON, and no phone number: the triggerer logs every event it fires):
``{"status": "success" | "failure" | "timeout" | "error", "statuses": [{"index", "message_id",
"state", "vendor_state", "updated_at"}], "counts": {state: n}}``, where ``index`` is the message's
position in ``messages`` (the sensor joins the numbers back); an ``error`` event adds ``error``
(exception class name), ``message`` (no secret, numbers masked) and, for gateway errors,
``http_status`` and ``code``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from airflow.triggers.base import TriggerEvent

from airflow_provider_sms.tracking.delivery import (
    DEFAULT_FAILURE_STATES,
    DEFAULT_MAX_BACKOFF,
    DeliveryTracker,
    as_status,
    describe_counts,
    event_statuses,
)
from airflow_provider_sms.tracking.figures_gate import FiguresGate
from airflow_provider_sms.triggers.polling import PollingTrigger

if TYPE_CHECKING:
    from airflow_provider_sms.hooks.base import SmsHook

#: The ``status`` of the trigger's one event.
EventStatus = Literal["success", "failure", "timeout", "error"]


class SmsDeliveryTrigger(PollingTrigger):
    """Poll delivery statuses until every message is final, then fire one event.

    :param sms_conn_id: Airflow connection of type ``primotexto`` or ``smspartner``.
    :param messages: every message to track, as ``{"message_id": str, "recipient": str | None}``
        dicts (see :func:`~airflow_provider_sms.rules.messages.normalize_messages`).
    :param final_statuses: statuses (``DeliveryStatus`` dicts) of messages already known to be
        final: they are not asked about again, and they are part of the final event, so the event
        alone tells the whole story (``dag.test()`` drops ``defer(kwargs=...)`` on resume).
    :param failure_states: final states that make the outcome a failure.
    :param poke_interval: seconds from the start of one poll to the start of the next (at least
        :data:`~airflow_provider_sms.tracking.delivery.MIN_POLL_INTERVAL`).
    :param deadline: Unix time after which the trigger stops and fires a ``timeout`` event; the
        sensor passes its own timeout here as well as to ``defer()``, so the outcome is the same
        whether the triggerer's timeout or this one fires first (and ``dag.test()``, whose
        in-process triggerer has no timeout, still ends).
    :param max_backoff: cap, in seconds, of the pause after failed polls (see
        :func:`~airflow_provider_sms.tracking.delivery.backoff_delay`).
    :param category_figures: read the categories' figures first (:mod:`~airflow_provider_sms.tracking.figures_gate`);
        ``False`` when the sensor's own read failed: every poll asks about each message.
    """

    poll_name = "Delivery status poll"
    wait_name = "Delivery tracking"

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
        category_figures: bool = True,
    ) -> None:
        super().__init__(
            sms_conn_id=sms_conn_id, poke_interval=poke_interval, deadline=deadline, max_backoff=max_backoff
        )
        self.messages = [
            {"message_id": str(m["message_id"]), "recipient": m.get("recipient") or None}
            | ({"category": str(m["category"])} if m.get("category") else {})
            for m in messages
        ]
        self.final_statuses = [as_status(s).to_dict() for s in final_statuses or []]
        self.failure_states = [str(s) for s in failure_states]
        self.category_figures = bool(category_figures)

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
                "category_figures": self.category_figures,
            },
        )

    def _begin(self) -> None:
        self._tracker = DeliveryTracker(
            self.messages,
            self.failure_states,
            self.final_statuses,
            gate=FiguresGate(enabled=self.category_figures),
        )
        self._progress = ""

    def _payload(self, status: str) -> dict[str, Any]:
        outcome = self._tracker.outcome
        return {"status": status, "statuses": event_statuses(outcome), "counts": dict(outcome.counts)}

    def _timeout_event(self) -> TriggerEvent:
        self.log.info("Deadline reached with %d SMS not final", len(self._tracker.outcome.pending))
        return super()._timeout_event()

    async def _poll_once(self, hook: SmsHook) -> TriggerEvent | None:
        """One :meth:`~airflow_provider_sms.tracking.delivery.DeliveryTracker.apoll`; the event once all are final."""
        outcome = await self._tracker.apoll(hook)
        if note := self._tracker.gate.notice():
            self.log.warning("%s", note)
        if self._tracker.last_error is not None:
            raise self._tracker.last_error  # transient (the tracker re-raises the others): back off
        if outcome.done:
            self.log.info("All %d SMS are final: %s", len(self.messages), describe_counts(outcome))
            status: EventStatus = "failure" if outcome.verdict == "failure" else "success"
            return TriggerEvent(self._payload(status))
        if (progress := describe_counts(outcome)) != self._progress:
            self.log.info("Waiting for delivery: %s", progress)
            self._progress = progress
        return None
