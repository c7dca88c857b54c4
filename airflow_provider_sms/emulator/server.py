"""The aiohttp application and :class:`GatewayEmulator`, which serves it from a background thread.

The server runs its own event loop in a daemon thread, so injected latency is an ``asyncio.sleep``
that holds no thread, and the caller's thread stays free to drive requests at it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import threading
from typing import Any

from aiohttp import web

from airflow_provider_sms.emulator import (
    control,
    inbound,
    primotexto,
    primotexto_account,
    smspartner,
    smspartner_account,
    smspartner_status,
)
from airflow_provider_sms.emulator.faults import FaultSet, make_rule
from airflow_provider_sms.emulator.middleware import api_middleware
from airflow_provider_sms.emulator.primotexto import PRIMOTEXTO_API_KEY
from airflow_provider_sms.emulator.replies import FAULTS, STATE
from airflow_provider_sms.emulator.smspartner import SMSPARTNER_API_KEY
from airflow_provider_sms.emulator.state import PRIMOTEXTO, SMSPARTNER, VENDORS, EmulatorState, Settings

_API_KEYS = {PRIMOTEXTO: PRIMOTEXTO_API_KEY, SMSPARTNER: SMSPARTNER_API_KEY}


def build_app(state: EmulatorState, faults: FaultSet) -> web.Application:
    """The aiohttp application serving both APIs and the ``/_emulator`` routes."""
    app = web.Application(middlewares=[api_middleware], client_max_size=8 * 1024 * 1024)
    app[STATE] = state
    app[FAULTS] = faults
    primotexto.add_routes(app)
    primotexto_account.add_routes(app)
    inbound.add_routes(app)
    smspartner.add_routes(app)
    smspartner_status.add_routes(app)
    smspartner_account.add_routes(app)
    control.add_routes(app)
    return app


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop loop when uvloop is installed (Airflow's uvicorn[standard] brings it), else asyncio's.

    uvloop cuts the server's CPU per request by about a fifth, which matters when the clients
    share the interpreter (and its GIL) with the emulator.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - depends on the environment
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def is_loopback(host: str) -> bool:
    """``True`` for ``localhost`` and loopback addresses (127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class GatewayEmulator:
    """Primotexto (``/v2``) and SMS Partner (``/v1``) on one local HTTP server.

    :param host: interface to bind; a non-loopback one needs ``allow_remote=True``.
    :param port: TCP port; ``0`` picks a free one (read :attr:`url` after :meth:`start`).
    :param delivery_delay: seconds from acceptance (or schedule time) to the final state.
    :param latency_ms: delay added to every ``/v1`` and ``/v2`` request.
    :param credits: starting Primotexto credits and SMS Partner balance (EUR), each.
    :param subaccounts: number of SMS Partner sub-accounts to seed.
    :param allow_remote: allow binding a non-loopback interface.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        delivery_delay: float = 0.5,
        latency_ms: float = 0,
        credits: float = 10000.0,
        subaccounts: int = 47,
        allow_remote: bool = False,
    ) -> None:
        if not allow_remote and not is_loopback(host):
            raise ValueError(f"refusing to bind non-loopback host {host!r} without allow_remote=True")
        if isinstance(subaccounts, bool) or not isinstance(subaccounts, int) or subaccounts < 0:
            raise ValueError(f"subaccounts must be an integer >= 0; got {subaccounts!r}")
        self.host = host
        self.port = port
        self.state = EmulatorState(Settings(delivery_delay, latency_ms, credits, subaccounts))
        self.state.configure(delivery_delay=delivery_delay, latency_ms=latency_ms, credits=credits)
        self.faults = FaultSet()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._url: str | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._url is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return self._url

    def start(self) -> GatewayEmulator:
        """Bind the port and serve from a background thread; returns once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        family, _, _, _, address = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(1024)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        bound_host, bound_port = sock.getsockname()[:2]
        self.port = bound_port
        shown = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(sock, ready, failure), name="sms-gateway-emulator", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise RuntimeError("the emulator failed to start") from failure[0]
        self._url = f"http://{shown}:{bound_port}"
        return self

    def _serve(self, sock: socket.socket, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main(sock, ready))
        except BaseException as exc:  # reported to start() when it happens before ready
            if not ready.is_set():
                failure.append(exc)
                ready.set()
            else:  # pragma: no cover - unexpected crash of a running server
                raise
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            sock.close()

    async def _main(self, sock: socket.socket, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        runner = web.AppRunner(
            build_app(self.state, self.faults), handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        try:
            await web.SockSite(runner, sock, backlog=1024).start()
            ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def stop(self) -> None:
        """Stop serving and close every connection (in-flight requests get ~1 s to finish)."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        self._thread = self._loop = self._stop = None
        self._url = None

    def __enter__(self) -> GatewayEmulator:
        """Start (unless already started); the ``with`` block's end stops it."""
        return self if self._thread is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- helpers for tests and DAG authors ----------------------------------------------------
    def connection_json(self, vendor: str, conn_id: str | None = None, **extra: Any) -> str:
        """Airflow connection JSON pointing at this emulator, e.g. for ``AIRFLOW_CONN_<ID>``.

        :param vendor: ``primotexto`` or ``smspartner`` (the connection type).
        :param conn_id: accepted for readability at call sites; Airflow's JSON format takes the id
            from the variable name, so it is not part of the JSON.
        :param extra: connection extras, e.g. ``sender="MyShop"``.
        """
        if vendor not in _API_KEYS:
            raise ValueError(f"vendor must be one of {', '.join(VENDORS)}; got {vendor!r}")
        return json.dumps(
            {"conn_type": vendor, "host": self.url, "password": _API_KEYS[vendor], "extra": dict(extra)}
        )

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
            ``accept_then_error``, ``vendor_error`` or ``raw_reply``. ``accept_then_error`` handles
            the request (a send is accepted, charged and recorded), then answers HTTP
            ``http_status`` (default 500) with an empty body instead of the vendor's reply.
            ``raw_reply`` answers ``body`` as given, without handling the request.
        :param vendor: only requests to this API (``primotexto`` / ``smspartner``).
        :param path: only requests whose URL path contains this string.
        :param method: only this HTTP method.
        :param after: let this many matching requests through untouched first.
        :param count: act on this many requests, then stop (``None``: all that follow).
        :param latency_ms: delay of a ``latency`` rule (required there, refused elsewhere).
        :param retry_after: ``Retry-After`` seconds of a ``rate_limit`` reply (default 1).
        :param http_status: status of the reply (``server_error``, ``rate_limit``,
            ``accept_then_error``, ``vendor_error``, ``raw_reply`` (default 200)).
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
    ) -> None:
        """Change live settings; ``credits`` sets both balances. Messages already accepted keep
        the delivery delay that was in force when they were accepted."""
        self.state.configure(delivery_delay=delivery_delay, latency_ms=latency_ms, credits=credits)

    def requests(self, vendor: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """Requests received (oldest first, last 100,000), API keys redacted."""
        return self.state.request_records(vendor, path)

    def messages(self, vendor: str | None = None) -> list[dict[str, Any]]:
        """Messages accepted, one per (recipient, message), with their current vendor state."""
        return self.state.message_records(vendor)

    def inject_reply(
        self, vendor: str, number: str, text: str, category: str | None = None
    ) -> dict[str, Any]:
        """A reply from ``number``; a text starting with STOP also puts it on the STOP list.

        Primotexto files it under ``category``, by default the category of the latest message sent
        to that number, and serves it at ``GET /v2/messages/replies``. Returns what was stored.
        """
        return inbound.inject(self.state, vendor, number, text, category)

    def inject_stop(self, vendor: str, number: str) -> dict[str, Any]:
        """A ``STOP`` reply from ``number``: the number joins the gateway's STOP list."""
        return inbound.inject(self.state, vendor, number, "STOP")

    def replies(self, vendor: str | None = None) -> list[dict[str, Any]]:
        """Replies injected so far, oldest first."""
        return inbound.reply_records(self.state, vendor)

    def reset(self) -> None:
        """Back to the initial state and settings; clears faults and records."""
        self.state.reset()
        self.faults.clear()
