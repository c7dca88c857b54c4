"""Seeded, probabilistic fault mixes on a gateway's send route (the chaos and system suites)."""

from __future__ import annotations

from typing import Any

from tests.helpers.gateways import SEND_PATHS


def add_fault_mix(emulator: Any, vendor: str, seed: int, mix: tuple[tuple[str, float, dict], ...]) -> None:
    """Add ``mix``'s rules, ``(kind, overall share of send requests, arguments)``, in order.

    The first rule that fires decides, so each later rule's probability is its share divided by
    what the earlier ones let through; each rule gets its own seed derived from ``seed``.
    """
    left = 1.0
    for index, (kind, share, extra) in enumerate(mix):
        emulator.add_fault(
            kind,
            vendor=vendor,
            path=SEND_PATHS[vendor],
            method="POST",
            probability=share / left,
            seed=seed * 100 + index,
            **extra,
        )
        left -= share
