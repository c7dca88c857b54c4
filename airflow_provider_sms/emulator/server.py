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
from dataclasses import replace
from typing import Any

from aiohttp import web

from airflow_provider_sms.emulator import (
    control,
    inbound,
    primotexto,
    primotexto_account,
    smspartner,
    smspartner_account,
    smspartner_bulk,
    smspartner_scheduled,
    smspartner_status,
)
from airflow_provider_sms.emulator.faults import FaultSet
from airflow_provider_sms.emulator.http_replies import FAULTS, STATE, stamp_date
from airflow_provider_sms.emulator.middleware import api_middleware
from airflow_provider_sms.emulator.primotexto import PRIMOTEXTO_API_KEY
from airflow_provider_sms.emulator.scenario import ScenarioControls
from airflow_provider_sms.emulator.smspartner import SMSPARTNER_API_KEY
from airflow_provider_sms.emulator.state import (
    PRIMOTEXTO,
    SMSPARTNER,
    TAG_PAGE_SIZE,
    VENDORS,
    EmulatorState,
    Settings,
)

_API_KEYS = {PRIMOTEXTO: PRIMOTEXTO_API_KEY, SMSPARTNER: SMSPARTNER_API_KEY}


def build_app(state: EmulatorState, faults: FaultSet) -> web.Application:
    """The aiohttp application serving both APIs and the ``/_emulator`` routes."""
    app = web.Application(middlewares=[api_middleware], client_max_size=8 * 1024 * 1024)
    app[STATE] = state
    app[FAULTS] = faults
    app.on_response_prepare.append(stamp_date)
    primotexto.add_routes(app)
    primotexto_account.add_routes(app)
    inbound.add_routes(app)
    smspartner.add_routes(app)
    smspartner_bulk.add_routes(app)
    smspartner_scheduled.add_routes(app)
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


class GatewayEmulator(ScenarioControls):
    """Primotexto (``/v2``) and SMS Partner (``/v1``) on one local HTTP server, driven by the
    :class:`~airflow_provider_sms.emulator.scenario.ScenarioControls` methods.

    :param host: interface to bind; a non-loopback one needs ``allow_remote=True``.
    :param port: TCP port; ``0`` picks a free one (read :attr:`url` after :meth:`start`).
    :param delivery_delay: seconds from acceptance (or schedule time) to the final state.
    :param latency_ms: delay added to every ``/v1`` and ``/v2`` request.
    :param credits: starting Primotexto credits and SMS Partner balance (EUR), each.
    :param subaccounts: number of SMS Partner sub-accounts to seed.
    :param clock_offset: seconds the gateway's clock is ahead of real time (negative: behind); it
        shifts every time the APIs report or check (``Date`` header included).
    :param tag_page_size: entries per page of SMS Partner ``bulk-status-by-tag``.
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
        clock_offset: float = 0.0,
        tag_page_size: int = TAG_PAGE_SIZE,
        allow_remote: bool = False,
    ) -> None:
        if not allow_remote and not is_loopback(host):
            raise ValueError(f"refusing to bind non-loopback host {host!r} without allow_remote=True")
        if isinstance(subaccounts, bool) or not isinstance(subaccounts, int) or subaccounts < 0:
            raise ValueError(f"subaccounts must be an integer >= 0; got {subaccounts!r}")
        self.host = host
        self.port = port
        live = {
            "delivery_delay": delivery_delay,
            "latency_ms": latency_ms,
            "credits": credits,
            "clock_offset": clock_offset,
            "tag_page_size": tag_page_size,
        }
        self.state = EmulatorState(Settings(subaccounts=subaccounts))
        self.state.configure(**live)  # checks the values
        self.state.initial = replace(self.state.settings)
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
