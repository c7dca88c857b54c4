"""Console script ``sms-gateway-emulator`` (also ``python -m airflow_provider_sms.emulator``)."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from typing import TYPE_CHECKING

from airflow_provider_sms.emulator.numbers import (
    NUMBER_BOUNCED,
    NUMBER_ERROR,
    NUMBER_NEVER_FINAL,
    NUMBER_REJECTED,
    NUMBER_UNSUBSCRIBED,
)
from airflow_provider_sms.emulator.primotexto import PRIMOTEXTO_API_KEY
from airflow_provider_sms.emulator.server import GatewayEmulator, is_loopback
from airflow_provider_sms.emulator.smspartner import SMSPARTNER_API_KEY
from airflow_provider_sms.emulator.state import TAG_PAGE_SIZE

if TYPE_CHECKING:
    from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sms-gateway-emulator",
        description="Serve emulated Primotexto (/v2) and SMS Partner (/v1) APIs on a local port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8025, help="TCP port, 0 for any free port (default: 8025)"
    )
    parser.add_argument(
        "--delivery-delay", type=float, default=2.0, help="seconds until a message is final (default: 2)"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay added to every API request (default: 0)"
    )
    parser.add_argument(
        "--credits",
        type=float,
        default=10000.0,
        help="Primotexto credits and SMS Partner EUR balance (default: 10000)",
    )
    parser.add_argument(
        "--subaccounts", type=int, default=47, help="SMS Partner sub-accounts to seed (default: 47)"
    )
    parser.add_argument(
        "--clock-offset",
        type=float,
        default=0.0,
        help="seconds the gateway's clock is ahead of real time, negative for behind (default: 0)",
    )
    parser.add_argument(
        "--tag-page-size",
        type=int,
        default=TAG_PAGE_SIZE,
        help=f"SMS Partner bulk-status-by-tag entries per page (default: {TAG_PAGE_SIZE})",
    )
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow binding a non-loopback host (the keys are public!)"
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check the command line; exits with status 2 on a bad one."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.allow_remote and not is_loopback(args.host):
        parser.error(f"refusing to bind non-loopback host {args.host!r}; pass --allow-remote to do it anyway")
    for name in ("delivery_delay", "latency_ms", "credits"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must be >= 0")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0..65535")
    if args.subaccounts < 0:
        parser.error("--subaccounts must be >= 0")
    if args.tag_page_size < 1:
        parser.error("--tag-page-size must be >= 1")
    if not math.isfinite(args.clock_offset):
        parser.error("--clock-offset must be a finite number")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until Ctrl-C (SIGINT) or SIGTERM."""
    args = parse_args(argv)
    emulator = GatewayEmulator(
        args.host,
        args.port,
        delivery_delay=args.delivery_delay,
        latency_ms=args.latency_ms,
        credits=args.credits,
        subaccounts=args.subaccounts,
        clock_offset=args.clock_offset,
        tag_page_size=args.tag_page_size,
        allow_remote=args.allow_remote,
    )
    stop = threading.Event()
    # SIGINT as well: a shell starting us in the background (`cmd &`) leaves SIGINT ignored.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with emulator:
        print(f"SMS gateway emulator listening on {emulator.url}", flush=True)
        print(f"  Primotexto   {emulator.url}/v2   X-Primotexto-ApiKey: {PRIMOTEXTO_API_KEY}")
        print(f"  SMS Partner  {emulator.url}/v1   apiKey: {SMSPARTNER_API_KEY}")
        print(f"  Inspection   {emulator.url}/_emulator/requests  /_emulator/messages")
        print(
            f"  Test numbers bounced {NUMBER_BOUNCED}, error {NUMBER_ERROR}, never final {NUMBER_NEVER_FINAL},"
            f" unsubscribed {NUMBER_UNSUBSCRIBED}, rejected {NUMBER_REJECTED}"
        )
        print("Press Ctrl-C to stop.", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
