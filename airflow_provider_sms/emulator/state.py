"""The emulator's in-memory state: settings, balances, messages, blacklists, request log.

One :class:`EmulatorState` is shared by the server thread (request handlers) and the caller's
thread (``GatewayEmulator`` inspection methods); every compound read-modify-write holds
:attr:`EmulatorState.lock`. Message states are computed from the clock when read, so nothing has to
run in the background for a message to become final.

Every instant is stored in real time (``time.time()``); the gateway's clock is real time plus
``Settings.clock_offset``, applied only to what the vendor APIs report or check
(:meth:`EmulatorState.clock`, :meth:`EmulatorState.shown`).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_sms.emulator.numbers import Fate

PRIMOTEXTO = "primotexto"
SMSPARTNER = "smspartner"
VENDORS = (PRIMOTEXTO, SMSPARTNER)

#: Raw vendor state for each fate once final; ``None`` is the pending state.
VENDOR_STATES: dict[str, dict[Fate | None, str]] = {
    PRIMOTEXTO: {
        None: "sent",
        "delivered": "delivered",
        "bounced": "bounced",
        "error": "error",
        "unsubscribed": "unsubscribed",
    },
    SMSPARTNER: {
        None: "Waiting",
        "delivered": "Delivered",
        "bounced": "Not delivered",
        "error": "ko",
        "unsubscribed": "Not delivered",
    },
}

#: Raw state of a cancelled scheduled send (SMS Partner does not document one: A61).
CANCELLED_STATE = "Cancelled"

FIRST_SNAPSHOT_ID = 386480
FIRST_SMSPARTNER_MESSAGE_ID = 2270143
FIRST_STOP_ID = 300
MAX_REQUESTS = 100_000
MAX_MESSAGES = 200_000
#: Entries per page of SMS Partner ``bulk-status-by-tag`` unless configured (A47).
TAG_PAGE_SIZE = 500


def iso_utc(epoch: float) -> str:
    """ISO 8601 UTC timestamp (``2026-01-02T03:04:05.678901+00:00``)."""
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


@dataclass(slots=True)
class Message:
    """One accepted (recipient, message) pair.

    :param start_at: when the gateway starts delivering: the schedule time, else ``accepted_at``.
    :param due_at: when the message becomes final; ``None`` means never.
    """

    vendor: str
    message_id: str
    recipient: str
    text: str
    sender: str | None
    category: str | None
    accepted_at: float
    start_at: float
    due_at: float | None
    fate: Fate
    segments: int
    cost: float
    sandbox: bool = False
    marketing: bool = False
    campaign_name: str | None = None
    cancelled: bool = False
    #: SMS Partner's ``urlResponse``: where replies to this message are posted.
    reply_url: str | None = None

    def outcome(self, now: float) -> Fate | None:
        """The fate once ``due_at`` has passed, ``None`` while pending (and for ever once cancelled)."""
        if self.cancelled or self.due_at is None or now < self.due_at:
            return None
        return self.fate

    def vendor_state(self, now: float) -> str:
        """The vendor's raw state string at ``now`` (``Cancelled`` once cancelled: A61)."""
        if self.cancelled:
            return CANCELLED_STATE
        return VENDOR_STATES[self.vendor][self.outcome(now)]

    def to_record(self, now: float) -> dict[str, Any]:
        """The ``/_emulator/messages`` view of this message."""
        return {
            "vendor": self.vendor,
            "message_id": self.message_id,
            "recipient": self.recipient,
            "text": self.text,
            "sender": self.sender,
            "category": self.category,
            "state": self.vendor_state(now),
            "accepted_at": iso_utc(self.accepted_at),
            "segments": self.segments,
            "sandbox": self.sandbox,
            "marketing": self.marketing,
        }


@dataclass(slots=True)
class StopEntry:
    """An SMS Partner STOP-list entry."""

    id: int
    recipient: str
    created_at: float


@dataclass(slots=True)
class InboundReply:
    """A reply a recipient sent (``GatewayEmulator.inject_reply``); ``received_at`` is epoch seconds."""

    id: str
    vendor: str
    number: str
    text: str
    category: str | None
    received_at: float


@dataclass
class Settings:
    """Live settings; ``configure()`` changes them, ``reset()`` restores the constructor's.

    :param clock_offset: seconds added to the gateway's clock (negative: behind real time).
    :param tag_page_size: entries per page of SMS Partner ``bulk-status-by-tag``.
    """

    delivery_delay: float = 2.0
    latency_ms: float = 0.0
    credits: float = 10000.0
    subaccounts: int = 47
    clock_offset: float = 0.0
    tag_page_size: int = TAG_PAGE_SIZE


class EmulatorState:
    """Everything the emulator remembers. Use :attr:`lock` around compound operations."""

    def __init__(
        self, settings: Settings, *, max_requests: int = MAX_REQUESTS, max_messages: int = MAX_MESSAGES
    ):
        self.lock = threading.RLock()
        self.initial = settings
        self.max_requests = max_requests
        self.max_messages = max_messages
        self.generation = 0
        self.reset()

    # -- lifecycle ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything and restore the constructor's settings."""
        with self.lock:
            init = self.initial
            self.settings = replace(init)
            self.primotexto_credits = float(init.credits)
            self.smspartner_balance = float(init.credits)
            self.messages: deque[Message] = deque()
            self.snapshots: dict[str, Message] = {}
            self.latest_by_number: dict[str, Message] = {}
            self.sends: dict[int, dict[str, Message]] = {}
            # Primotexto account blacklists: list name -> E.164 -> entry id (24 hex).
            self.blacklists: dict[str, dict[str, str]] = {"unsubscribers": {}, "bounces": {}}
            self.stops: dict[int, StopEntry] = {}
            self.replies: list[InboundReply] = []
            self.request_log: deque[dict[str, Any]] = deque(maxlen=self.max_requests)
            self.subaccounts = make_subaccounts(init.subaccounts)
            self._request_seq = itertools.count(1)
            self._snapshot_ids = itertools.count(FIRST_SNAPSHOT_ID)
            self._send_ids = itertools.count(FIRST_SMSPARTNER_MESSAGE_ID)
            self._stop_ids = itertools.count(FIRST_STOP_ID)
            self._object_ids = itertools.count(1)
            # Bumped by every reset: a delayed commit scheduled before it is dropped (commit.py).
            self.generation += 1
            self.pending_commits = 0

    def configure(self, **changes: float | None) -> dict[str, float]:
        """Change live settings (the :class:`Settings` fields but ``subaccounts``; ``None`` leaves one
        as it is); ``credits`` resets both balances. Returns the settings in force.

        :raises ValueError: unknown setting or bad value (nothing is changed then).
        """
        unknown = set(changes) - set(_CHECKS)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        checked = {name: _CHECKS[name](name, value) for name, value in changes.items() if value is not None}
        with self.lock:
            for name, value in checked.items():
                setattr(self.settings, name, value)
            if "credits" in checked:
                self.primotexto_credits = self.smspartner_balance = float(checked["credits"])
            return self.describe()

    def describe(self) -> dict[str, float]:
        """Settings in force plus the live balances."""
        with self.lock:
            settings = self.settings
            return {
                "delivery_delay": settings.delivery_delay,
                "latency_ms": settings.latency_ms,
                "credits": settings.credits,
                "clock_offset": settings.clock_offset,
                "tag_page_size": settings.tag_page_size,
                "primotexto_credits": self.primotexto_credits,
                "smspartner_balance": round(self.smspartner_balance, 3),
            }

    # -- the gateway's clock ------------------------------------------------------------------
    def clock(self) -> float:
        """Now on the gateway's clock (epoch seconds): real time plus ``clock_offset``."""
        return time.time() + self.settings.clock_offset

    def shown(self, epoch: float) -> float:
        """A real instant as the gateway's clock reports it."""
        return epoch + self.settings.clock_offset

    # -- ids ----------------------------------------------------------------------------------
    def next_snapshot_id(self) -> str:
        return str(next(self._snapshot_ids))

    def next_send_id(self) -> int:
        return next(self._send_ids)

    def next_stop_id(self) -> int:
        return next(self._stop_ids)

    def next_object_id(self) -> str:
        """A 24-hex Mongo-style id, like Primotexto's list and contact ids (time on the gateway's clock)."""
        return f"{int(self.clock()):08x}{next(self._object_ids):016x}"

    # -- messages -----------------------------------------------------------------------------
    def due_at(self, start_at: float, fate: Fate) -> float | None:
        """When a message starting at ``start_at`` becomes final (delay in force at acceptance)."""
        return None if fate == "never" else start_at + self.settings.delivery_delay

    def add_message(self, message: Message) -> None:
        """Store an accepted message and index it (caller holds the lock).

        Primotexto's latest message to a number is the one accepted last (ties: the one added
        last); an SMS Partner send indexes its last message to each number.
        """
        self.messages.append(message)
        if message.vendor == PRIMOTEXTO:
            self.snapshots[message.message_id] = message
            latest = self.latest_by_number.get(message.recipient)
            if latest is None or message.accepted_at >= latest.accepted_at:
                self.latest_by_number[message.recipient] = message
        else:
            self.sends.setdefault(int(message.message_id), {})[message.recipient] = message
        while len(self.messages) > self.max_messages:
            self._forget(self.messages.popleft())

    def _forget(self, old: Message) -> None:
        if old.vendor == PRIMOTEXTO:
            self.snapshots.pop(old.message_id, None)
            if self.latest_by_number.get(old.recipient) is old:
                del self.latest_by_number[old.recipient]
            return
        send = self.sends.get(int(old.message_id))
        if send is not None and send.get(old.recipient) is old:
            del send[old.recipient]
            if not send:
                del self.sends[int(old.message_id)]

    def message_records(self, vendor: str | None = None) -> list[dict[str, Any]]:
        """Copies of the accepted messages, oldest first."""
        now = time.time()
        with self.lock:
            return [m.to_record(now) for m in self.messages if vendor is None or m.vendor == vendor]

    # -- request log --------------------------------------------------------------------------
    def log_request(self, record: dict[str, Any]) -> dict[str, Any]:
        """Number and store a request record; the caller fills in ``status`` later."""
        with self.lock:
            record["seq"] = next(self._request_seq)
            self.request_log.append(record)
        return record

    def request_records(self, vendor: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """Copies of the logged requests, oldest first, filtered by vendor and path substring."""
        with self.lock:
            return [
                dict(r)
                for r in self.request_log
                if (vendor is None or r["vendor"] == vendor) and (path is None or path in r["path"])
            ]


def make_subaccounts(count: int) -> list[dict[str, Any]]:
    """``count`` SMS Partner sub-accounts with distinct balances, shaped like the seed page."""
    created = datetime(2016, 3, 4, 11, 23, 14)
    return [
        {
            "id": i,
            "email": f"subaccount{i}@example.invalid",
            "type": "simple",
            "token": f"emu-subaccount-token-{i:04d}",
            "apiKey": f"emu-subaccount-key-{i:04d}",
            "createdAt": (created + timedelta(days=i - 1)).strftime("%Y-%m-%d %H:%M:%S"),
            "credits": {"balance": f"{0.8 + (i - 1) * 0.415:.3f}", "currency": "EUR"},
        }
        for i in range(1, count + 1)
    ]


def _non_negative(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value


#: How ``configure`` checks each live setting.
_CHECKS = {
    "delivery_delay": _non_negative,
    "latency_ms": _non_negative,
    "credits": _non_negative,
    "clock_offset": _finite,
    "tag_page_size": _positive_int,
}
