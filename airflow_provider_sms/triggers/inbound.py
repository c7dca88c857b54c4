"""SmsInboundTrigger: replies and STOPs as Airflow events, for an asset watcher.

.. code-block:: python

    stops = Asset(
        "sms_stops",
        watchers=[AssetWatcher(name="sms_stops", trigger=SmsInboundTrigger("primotexto_default", kinds=("stop",)))],
    )

Each poll reads the replies (Primotexto's replies call; SMS Partner's through the provider's webhook
when the connection names it) and the STOPs (the STOP list, or the webhook's STOPs), and yields one
event per message it has not turned into an event yet. What it
has seen (:class:`~airflow_provider_sms.tracking.replies.InboundCursor`) lives in the watched asset's state
store when the triggerer injects one (Airflow 3.3+), so a restarted triggerer carries on where it
stopped; without one (Airflow 3.0-3.2) it lives in memory, and after a restart every message the
gateway still lists is an event again (at least once). ``docs/inbound.md`` has the guarantees.

Event payload (the triggerer logs every event): ``{"kind", "message_id", "number" (masked),
"category", "received_at", "sms_conn_id"}``; never the text nor the full number. The downstream
task reads them with ``hook.get_inbound(message_id, kind=..., category=...)``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_sms.exceptions import SmsError, SmsGatewayError, SmsValidationError
from airflow_provider_sms.hooks import aget_sms_hook
from airflow_provider_sms.model.results import INBOUND_KINDS
from airflow_provider_sms.rules.numbers import mask_number
from airflow_provider_sms.tracking.delivery import DEFAULT_MAX_BACKOFF, MIN_POLL_INTERVAL
from airflow_provider_sms.tracking.replies import InboundCursor
from airflow_provider_sms.triggers.polling import Backoff

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.model.results import InboundKind, InboundMessage


class SmsInboundTrigger(BaseEventTrigger):
    """Poll a gateway for replies and STOPs; one event per new inbound SMS. Runs until cancelled.

    :param sms_conn_id: Airflow connection of type ``primotexto`` or ``smspartner``.
    :param kinds: what to watch: ``"reply"`` (left out with a warning on a connection that cannot
        read replies: SMS Partner without the webhook extras) and / or ``"stop"``.
    :param category: only the replies filed under this category (Primotexto ``category``).
    :param poll_interval: seconds between two polls (at least 0.1).
    :param max_backoff: cap, in seconds, of the pause after failed polls.
    """

    def __init__(
        self,
        sms_conn_id: str,
        kinds: Iterable[InboundKind] = ("reply", "stop"),
        category: str | None = None,
        poll_interval: float = 60.0,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
    ) -> None:
        super().__init__()
        self.sms_conn_id = str(sms_conn_id)
        requested = [kinds] if isinstance(kinds, str) else list(kinds)
        self.kinds: list[InboundKind] = [k for k in INBOUND_KINDS if k in requested]
        if not self.kinds or set(requested) - set(INBOUND_KINDS):
            raise ValueError(f"kinds must be a non-empty choice of {INBOUND_KINDS}, got {tuple(requested)!r}")
        self.category = category or None
        self.poll_interval = max(float(poll_interval), MIN_POLL_INTERVAL)
        self.max_backoff = float(max_backoff)

    def __repr__(self) -> str:
        return f"<{type(self).__qualname__} conn={self.sms_conn_id} kinds={','.join(self.kinds)}>"

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and JSON-primitive keyword arguments (``Trigger(**kwargs)`` rebuilds it)."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "sms_conn_id": self.sms_conn_id,
                "kinds": list(self.kinds),
                "category": self.category,
                "poll_interval": self.poll_interval,
                "max_backoff": self.max_backoff,
            },
        )

    # ------------------------------------------------------------------ state
    @property
    def state_key(self) -> str:
        """Key of the cursor in the asset's state store (one per connection and category)."""
        return f"sms_inbound:{self.sms_conn_id}:{self.category or '*'}"

    def _store(self) -> Any:
        """The state store the triggerer injected (Airflow 3.3+ watchers), else ``None``."""
        return getattr(self, "asset_state_store", None)

    async def _load(self) -> InboundCursor:
        store = self._store()
        if store is None:
            self.log.info(
                "No asset state store: seen messages kept in memory (at-least-once after a restart)"
            )
            return InboundCursor()
        try:
            return InboundCursor.from_json(await store.aget(self.state_key, None))
        except Exception as exc:
            self.log.warning("Could not read the asset state store (%s); starting empty", type(exc).__name__)
            return InboundCursor()

    async def _save(self, cursor: InboundCursor) -> None:
        store = self._store()
        if store is None:
            return
        try:
            await store.aset(self.state_key, cursor.to_json())
        except Exception as exc:
            self.log.warning("Could not write the asset state store (%s)", type(exc).__name__)

    # ------------------------------------------------------------------ polling
    async def _pause(self, seconds: float) -> None:
        """The only place the loop waits."""
        await asyncio.sleep(max(seconds, MIN_POLL_INTERVAL))

    def _watched(self, hook: SmsHook) -> list[InboundKind]:
        if "reply" in self.kinds and not hook.lists_replies:
            if self.kinds == ["reply"]:
                hook.check_replies()  # raises: nothing left to watch
            self.log.warning("%s: this connection cannot read replies: watching STOPs only", hook.hook_name)
            return [k for k in self.kinds if k != "reply"]
        return list(self.kinds)

    async def _fetch(self, hook: SmsHook, kinds: list[InboundKind]) -> dict[str, list[InboundMessage]]:
        found: dict[str, list[InboundMessage]] = {}
        if "reply" in kinds:
            found["reply"] = await hook.aget_replies(self.category)
        if "stop" in kinds:
            found["stop"] = await hook.aget_stops()
        return found

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll, yield one event per new message (saving the cursor after each), sleep; forever."""
        from airflow_provider_sms.hooks.transport import scrub  # here: DAG files import this module

        cursor = await self._load()
        hook: SmsHook | None = None
        kinds: list[InboundKind] = []
        backoff = Backoff(self.poll_interval, self.max_backoff)
        while True:
            try:
                if hook is None:
                    hook = await aget_sms_hook(self.sms_conn_id)
                    kinds = self._watched(hook)
                found = await self._fetch(hook, kinds)
            except SmsValidationError:
                raise  # the watcher asks for something this gateway cannot do
            except SmsError as exc:
                if isinstance(exc, SmsGatewayError) and exc.transient:
                    delay = backoff.failed(exc)
                    self.log.warning(
                        "Inbound poll failed (%s, attempt %d); backing off",
                        type(exc).__name__,
                        backoff.failures,
                    )
                else:  # a bad key or connection may be fixed while the watcher runs: read it again
                    self.log.error("Inbound poll failed: %s; trying again later", scrub(exc))
                    hook, delay = None, backoff.failed(exc, at_least_failures=6)
                await self._pause(delay)
                continue
            backoff.succeeded()
            async for event in self._events(cursor, found):
                yield event
            await self._pause(self.poll_interval)

    async def _events(
        self, cursor: InboundCursor, found: dict[str, list[InboundMessage]]
    ) -> AsyncIterator[TriggerEvent]:
        """One event per message not seen yet, the cursor saved after each; ids the gateway no
        longer lists are forgotten."""
        changed = False
        for kind, messages in found.items():
            for message in cursor.new(kind, messages):
                self.log.info("Inbound %s %s from %s", kind, message.message_id, mask_of(message))
                yield TriggerEvent(event_payload(message, self.sms_conn_id))
                cursor.mark(kind, message.message_id)
                await self._save(cursor)
            changed = cursor.prune(kind, [m.message_id for m in messages]) or changed
        if changed:
            await self._save(cursor)


def mask_of(message: InboundMessage) -> str:
    """The sender, masked (for the log line)."""
    return str(event_payload(message, "")["number"])


def event_payload(message: InboundMessage, sms_conn_id: str) -> dict[str, Any]:
    """What an inbound event may carry: no text, the number masked."""
    return {
        "kind": message.kind,
        "message_id": message.message_id,
        "number": mask_number(message.number),
        "category": message.category,
        "received_at": message.received_at,
        "sms_conn_id": sms_conn_id,
    }
