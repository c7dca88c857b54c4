"""Driving the emulator from Python: fault rules, live settings, planted facts and records.

:class:`ScenarioControls` is the Python twin of the ``/_emulator`` routes; ``GatewayEmulator``
inherits it, so tests call ``emu.add_fault(...)``, ``emu.inject_message(...)`` and so on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_sms.emulator import external, inbound
from airflow_provider_sms.emulator.faults import make_rule

if TYPE_CHECKING:
    from airflow_provider_sms.emulator.faults import FaultSet
    from airflow_provider_sms.emulator.state import EmulatorState


class ScenarioControls:
    """What a test changes or reads in a running emulator; needs :attr:`state` and :attr:`faults`."""

    state: EmulatorState
    faults: FaultSet

    def add_fault(
        self,
        kind: str,
        *,
        vendor: str | None = None,
        path: str | None = None,
        method: str | None = None,
        after: int = 0,
        count: int | None = None,
        latency_ms: float | None = None,
        commit_delay: float | None = None,
        retry_after: float | None = None,
        http_status: int | None = None,
        code: int | None = None,
        empty_body: bool = False,
        probability: float | None = None,
        seed: int | None = None,
        body: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """Add a fault rule (see ``docs/emulator.md``); raises :class:`ValueError` on bad arguments.

        :param kind: ``latency``, ``server_error``, ``rate_limit``, ``drop``, ``accept_then_drop``,
            ``accept_then_error``, ``vendor_error``, ``commit_delay`` or ``raw_reply``. ``accept_then_error``
            handles the request (a send is accepted, charged and recorded), then answers HTTP
            ``http_status`` (default 500) with an empty body instead of the vendor's reply.
            ``commit_delay`` answers as usual but commits a send (records, charges, shows it to
            status calls) ``commit_delay`` seconds after its request arrived; it adds up with the
            other rules like ``latency``. ``raw_reply`` answers ``body`` as given, without handling
            the request.
        :param vendor: only requests to this API (``primotexto`` / ``smspartner``).
        :param path: only requests whose URL path contains this string.
        :param method: only this HTTP method.
        :param after: let this many matching requests through untouched first.
        :param count: act on this many requests, then stop (``None``: all that follow).
        :param latency_ms: delay of a ``latency`` rule (required there, refused elsewhere).
        :param commit_delay: seconds of a ``commit_delay`` rule (required there, refused elsewhere).
        :param retry_after: ``Retry-After`` seconds of a ``rate_limit`` reply (default 1).
        :param http_status: status of the reply (``server_error``, ``rate_limit``,
            ``accept_then_error``, ``vendor_error``).
        :param code: the vendor error code of a ``vendor_error`` rule (required there).
        :param empty_body: ``server_error`` / ``rate_limit`` only: answer with no body at all
            instead of the vendor-shaped one (what a proxy or load balancer in front would send).
        :param probability: 0 to 1: act on each eligible request (past ``after``, within
            ``count``) with this probability instead of always.
        :param seed: seed of the rule's own ``random.Random`` (only with ``probability``): one seed
            and one request order hit the same requests. Default: a random seed, shown by
            ``GET /_emulator/faults``.
        :param body: ``raw_reply`` only: the reply body, sent as given in UTF-8 (default empty).
        :param content_type: ``raw_reply`` only: the reply's ``Content-Type`` (default ``text/html``).
        """
        self.faults.add(
            make_rule(
                kind,
                vendor=vendor,
                path=path,
                method=method,
                after=after,
                count=count,
                latency_ms=latency_ms,
                commit_delay=commit_delay,
                retry_after=retry_after,
                http_status=http_status,
                code=code,
                empty_body=empty_body,
                probability=probability,
                seed=seed,
                body=body,
                content_type=content_type,
            )
        )

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self.faults.clear()

    def configure(
        self,
        delivery_delay: float | None = None,
        latency_ms: float | None = None,
        credits: float | None = None,
        clock_offset: float | None = None,
        tag_page_size: int | None = None,
    ) -> None:
        """Change live settings (``None``: unchanged); ``credits`` sets both balances. Messages
        already accepted keep the delivery delay that was in force when they were accepted;
        ``clock_offset`` shifts the dates reported for them too."""
        self.state.configure(
            delivery_delay=delivery_delay,
            latency_ms=latency_ms,
            credits=credits,
            clock_offset=clock_offset,
            tag_page_size=tag_page_size,
        )

    def requests(self, vendor: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """Requests received (oldest first, last 100,000), API keys redacted."""
        return self.state.request_records(vendor, path)

    def messages(self, vendor: str | None = None) -> list[dict[str, Any]]:
        """Messages accepted, one per (recipient, message), with their current vendor state."""
        return self.state.message_records(vendor)

    def inject_reply(
        self, vendor: str, number: str, text: str, category: str | None = None, posts: int = 1
    ) -> dict[str, Any]:
        """A reply from ``number``; a text starting with STOP also puts it on the STOP list.

        Primotexto files it under ``category``, by default the category of the latest message sent
        to that number, and serves it at ``GET /v2/messages/replies``. Returns what was stored.
        An SMS Partner reply is posted (``posts`` times) to the ``urlResponse`` of the latest message
        sent to that number, when it carried one.
        """
        return inbound.inject(self.state, vendor, number, text, category, posts)

    def inject_stop(self, vendor: str, number: str, posts: int = 1) -> dict[str, Any]:
        """A ``STOP`` reply from ``number``: the number joins the gateway's STOP list (and, on SMS
        Partner, is posted to the ``urlResponse`` of the latest message to it)."""
        return inbound.inject(self.state, vendor, number, "STOP", posts=posts)

    def inject_message(
        self,
        vendor: str,
        number: str,
        *,
        text: str = external.DEFAULT_TEXT,
        seconds_ago: float = 0.0,
        state: str | None = None,
        category: str | None = None,
        sender: str | None = None,
    ) -> dict[str, Any]:
        """Record a message another system sent to ``number`` ``seconds_ago`` seconds ago (not charged).

        :param state: ``None``: the number's usual fate, final ``delivery_delay`` after the
            message's time; ``pending``: never final; ``delivered``, ``bounced``, ``error`` or
            ``unsubscribed``: in that state since the message's time.
        :param category: Primotexto category / SMS Partner tag (listed by ``bulk-status-by-tag``).
        :returns: the message as :meth:`messages` shows it, ``message_id`` included (Primotexto
            ``snapshotId``; SMS Partner ``message_id`` of a send of its own).
        :raises ValueError: bad vendor, number (not a mobile), time, state or text.
        """
        return external.inject_message(
            self.state,
            vendor,
            number,
            text=text,
            seconds_ago=seconds_ago,
            state_name=state,
            category=category,
            sender=sender,
        )

    def set_message_state(
        self,
        vendor: str,
        message_id: str | int,
        state: str,
        *,
        number: str | None = None,
        seconds_ago: float = 0.0,
    ) -> dict[str, Any]:
        """Put a message in ``state`` as of ``seconds_ago`` seconds ago (negative: in the future, pending
        until then); its state date moves there. ``pending`` makes it pending for good.

        :param message_id: Primotexto ``snapshotId``, SMS Partner ``message_id``.
        :param number: the recipient; needed on SMS Partner when the send has several.
        :returns: the message as :meth:`messages` shows it.
        :raises LookupError: no such message. :raises ValueError: bad argument.
        """
        return external.set_message_state(
            self.state, vendor, message_id, state, number=number, seconds_ago=seconds_ago
        )

    def replies(self, vendor: str | None = None) -> list[dict[str, Any]]:
        """Replies injected so far, oldest first."""
        return inbound.reply_records(self.state, vendor)

    def reset(self) -> None:
        """Back to the initial state and settings; clears faults and records."""
        self.state.reset()
        self.faults.clear()
