"""SmsReplyTrigger: wait in the triggerer for a reply matching a :class:`~airflow_provider_sms.tracking.replies.ReplyFilter`.

What :class:`~airflow_provider_sms.sensors.reply.SmsReplySensor` defers to. It polls the replies
with the async hook in :class:`~airflow_provider_sms.triggers.polling.PollingTrigger`'s loop (a
poll every ``poke_interval``, a capped backoff after transient errors), and yields one event:
``{"status": "found", "message_ids": [...]}``, ``{"status": "timeout"}`` at its ``deadline``, or
``{"status": "error", "error", "message"}`` (plus ``http_status`` and ``code`` for gateway errors).
No text and no number in the event (the triggerer logs it): the sensor reads the replies back by id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.triggers.base import TriggerEvent

from airflow_provider_sms.tracking.delivery import DEFAULT_MAX_BACKOFF
from airflow_provider_sms.tracking.replies import ReplyFilter
from airflow_provider_sms.triggers.polling import PollingTrigger

if TYPE_CHECKING:
    from airflow_provider_sms.hooks.base import SmsHook


class SmsReplyTrigger(PollingTrigger):
    """Poll replies until one matches, then fire one event.

    :param sms_conn_id: Airflow connection (a gateway with ``replies_by_pull``).
    :param numbers: E.164 numbers a reply must come from (all when empty).
    :param pattern: regular expression the text must contain (``re.search``), or ``None``.
    :param since: ISO 8601 time a reply must not predate, or ``None``.
    :param category: read only the replies filed under this category.
    :param poke_interval: seconds from the start of one poll to the start of the next (at least 0.1).
    :param deadline: Unix time after which a ``timeout`` event fires.
    :param max_backoff: cap, in seconds, of the pause after failed polls.
    """

    poll_name = "Reply poll"
    wait_name = "Waiting for a reply"

    def __init__(
        self,
        *,
        sms_conn_id: str,
        numbers: list[str],
        pattern: str | None = None,
        since: str | None = None,
        category: str | None = None,
        poke_interval: float = 60.0,
        deadline: float | None = None,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
    ) -> None:
        super().__init__(
            sms_conn_id=sms_conn_id, poke_interval=poke_interval, deadline=deadline, max_backoff=max_backoff
        )
        self.numbers = [str(n) for n in numbers]
        self.pattern = pattern
        self.since = since
        self.category = category

    def __repr__(self) -> str:
        return f"<{type(self).__qualname__} conn={self.sms_conn_id} numbers={len(self.numbers)}>"

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and JSON-primitive keyword arguments."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "sms_conn_id": self.sms_conn_id,
                "numbers": list(self.numbers),
                "pattern": self.pattern,
                "since": self.since,
                "category": self.category,
                "poke_interval": self.poke_interval,
                "deadline": self.deadline,
                "max_backoff": self.max_backoff,
            },
        )

    def _begin(self) -> None:
        self._wanted = ReplyFilter(tuple(self.numbers), self.pattern, self.since)

    async def _poll_once(self, hook: SmsHook) -> TriggerEvent | None:
        """Read the replies; the ``found`` event when any matches."""
        matched = self._wanted.select(await hook.aget_replies(self.category))
        if not matched:
            return None
        self.log.info("%d matching repl(ies) received", len(matched))
        return TriggerEvent({"status": "found", "message_ids": [r.message_id for r in matched]})
