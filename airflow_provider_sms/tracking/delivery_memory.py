"""What a reschedule-mode :class:`~airflow_provider_sms.sensors.delivery.SmsDeliverySensor`
remembers from one poke to the next.

In ``mode="reschedule"`` every poke is a new process. Without memory each would ask the gateway
about every message again. The tracker's final statuses (by position and message id: no phone
number, no text) and its figures gate are kept in the task instance's durable store, the one the
send journal uses (``task_state_store`` on Airflow >= 3.3, Variables before), so a poke asks only
about messages still pending, and about none while the send's figures stand still.

The memory belongs to one list of messages: a fingerprint of the tracked ``(message_id,
recipient)`` pairs is stored with it, and memory of another list is ignored. Reading or writing it
never fails the sensor: a lost memory costs one full pass, not a verdict.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING

from airflow_provider_sms.toolkit.task_store import store_for

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk import Context

    from airflow_provider_sms.rules.messages import MessageRef
    from airflow_provider_sms.toolkit.task_store import TaskStore
    from airflow_provider_sms.tracking.delivery import DeliveryTracker

log = logging.getLogger(__name__)

KEY_PREFIX = "sms_delivery_sensor"
#: Store parts: the gate (small, written every poke) and the final statuses (written when they grow).
GATE_PART, FINAL_PART = 0, 1


def digest_of(messages: Sequence[MessageRef]) -> str:
    """A digest of the tracked messages, in order (positions in the memory refer to it)."""
    pairs = [[str(m.get("message_id")), m.get("recipient") or None] for m in messages]
    return hashlib.sha256(json.dumps(pairs, separators=(",", ":")).encode()).hexdigest()[:32]


class DeliveryMemory:
    """Load a tracker's state before a poke, save it after, forget it once the wait is over.

    :param store: where the parts live (see :func:`~airflow_provider_sms.toolkit.task_store.store_for`).
    :param messages: the tracked messages, in order.
    """

    def __init__(self, store: TaskStore, messages: Sequence[MessageRef]) -> None:
        self.store = store
        self.fingerprint = digest_of(messages)
        self._final_saved = -1

    @classmethod
    def for_task(cls, context: Context, messages: Sequence[MessageRef]) -> DeliveryMemory:
        """The memory of the running task instance."""
        return cls(store_for(context, KEY_PREFIX, "delivery sensor memory"), messages)

    def load(self, tracker: DeliveryTracker) -> int:
        """Give ``tracker`` what earlier pokes learnt; return how many final statuses came back."""
        try:
            final, gate = self.store.read(FINAL_PART), self.store.read(GATE_PART)
        except Exception as exc:
            log.warning("Could not read the delivery sensor's memory (%s): full pass", type(exc).__name__)
            return 0
        restored = 0
        if final and final.get("fingerprint") == self.fingerprint:
            items = [i for i in final.get("statuses") or [] if isinstance(i, dict)]
            tracker.restore_final(items)
            restored = self._final_saved = len(tracker.final)
        if gate and gate.get("fingerprint") == self.fingerprint:
            tracker.gate.restore(gate)
        return restored

    def save(self, tracker: DeliveryTracker) -> None:
        """Keep the tracker's state for the next poke (the final statuses only when they grew)."""
        try:
            final = tracker.final_by_index()
            if len(final) != self._final_saved:
                self.store.write(FINAL_PART, {"fingerprint": self.fingerprint, "statuses": final})
                self._final_saved = len(final)
            self.store.write(GATE_PART, {"fingerprint": self.fingerprint, **tracker.gate.snapshot()})
        except Exception as exc:
            log.warning("Could not save the delivery sensor's memory (%s)", type(exc).__name__)

    def forget(self) -> None:
        """The wait is over: drop what Airflow does not keep by itself (Variables)."""
        try:
            self.store.discard(FINAL_PART + 1)
        except Exception as exc:
            log.warning("Could not drop the delivery sensor's memory (%s)", type(exc).__name__)
