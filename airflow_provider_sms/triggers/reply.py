"""SmsReplyTrigger: wait in the triggerer for a reply matching a :class:`~airflow_provider_sms.inbound.ReplyFilter`.

What :class:`~airflow_provider_sms.sensors.reply.SmsReplySensor` defers to. It polls the replies
with the async hook, sleeps ``poke_interval`` between polls (a capped backoff after transient
errors), and yields one event: ``{"status": "found", "message_ids": [...]}``, ``{"status":
"timeout"}`` at its ``deadline``, or ``{"status": "error", "error", "message"}``. No text and no
number in the event (the triggerer logs it): the sensor reads the replies back by id.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_sms.delivery import DEFAULT_MAX_BACKOFF, MIN_POLL_INTERVAL, backoff_delay
from airflow_provider_sms.exceptions import SmsError, SmsGatewayError
from airflow_provider_sms.hooks import aget_sms_hook
from airflow_provider_sms.inbound import ReplyFilter

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class SmsReplyTrigger(BaseTrigger):
    """Poll replies until one matches, then fire one event.

    :param sms_conn_id: Airflow connection (a gateway with ``replies_by_pull``).
    :param numbers: E.164 numbers a reply must come from (all when empty).
    :param pattern: regular expression the text must contain (``re.search``), or ``None``.
    :param since: ISO 8601 time a reply must not predate, or ``None``.
    :param category: read only the replies filed under this category.
    :param poke_interval: seconds between polls (at least 0.1).
    :param deadline: Unix time after which a ``timeout`` event fires.
    :param max_backoff: cap, in seconds, of the pause after failed polls.
    """

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
        super().__init__()
        self.sms_conn_id = str(sms_conn_id)
        self.numbers = [str(n) for n in numbers]
        self.pattern = pattern
        self.since = since
        self.category = category
        self.poke_interval = float(poke_interval)
        self.deadline = float(deadline) if deadline is not None else None
        self.max_backoff = float(max_backoff)

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

    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, MIN_POLL_INTERVAL))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll, match, sleep; yield exactly one event and return."""
        from airflow_provider_sms.hooks.base import scrub  # here: DAG files import this module

        wanted = ReplyFilter(tuple(self.numbers), self.pattern, self.since)
        failures = 0
        try:
            hook = await aget_sms_hook(self.sms_conn_id)
            while True:
                retry_after = None
                try:
                    matched = wanted.select(await hook.aget_replies(self.category))
                except SmsGatewayError as exc:
                    if not exc.transient:
                        raise
                    failures, retry_after = failures + 1, exc.retry_after
                    self.log.warning(
                        "Reply poll failed (%s, attempt %d); backing off", type(exc).__name__, failures
                    )
                else:
                    failures = 0
                    if matched:
                        self.log.info("%d matching repl(ies) received", len(matched))
                        yield TriggerEvent(
                            {"status": "found", "message_ids": [r.message_id for r in matched]}
                        )
                        return
                delay = (
                    backoff_delay(failures, self.poke_interval, retry_after, self.max_backoff)
                    if failures
                    else self.poke_interval
                )
                if self.deadline is not None:
                    remaining = self.deadline - time.time()
                    if remaining <= 0:
                        yield TriggerEvent({"status": "timeout"})
                        return
                    delay = min(delay, remaining)
                await self._pause(delay)
        except SmsError as exc:
            self.log.error("Waiting for a reply stopped: %s", scrub(exc))
            yield TriggerEvent({"status": "error", "error": type(exc).__name__, "message": scrub(exc)})
        except Exception as exc:
            self.log.exception("Waiting for a reply failed unexpectedly")
            yield TriggerEvent({"status": "error", "error": type(exc).__name__, "message": scrub(exc)})
