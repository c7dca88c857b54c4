"""Seeded, probabilistic fault mixes on a gateway's send route, and the other facts a chaos run
plants first (the chaos and system suites)."""

from __future__ import annotations

import random
from typing import Any

from tests.helpers.gateways import SEND_PATHS

#: Fault kinds that add up with the others (a delay, a late commit) instead of deciding the reply.
NON_TERMINAL = ("latency", "commit_delay")


def add_fault_mix(
    emulator: Any, vendor: str, seed: int, mix: tuple[tuple[str, float, dict], ...], path: str | None = None
) -> None:
    """Add ``mix``'s rules, ``(kind, overall share of send requests, arguments)``, in order.

    The first terminal rule that fires decides, so each later terminal rule's probability is its
    share divided by what the earlier ones let through; a non-terminal rule (``latency``,
    ``commit_delay``) fires on its share of all requests, whatever else happens to them. Each rule
    gets its own seed derived from ``seed``. ``path``: the routes hit (any path holding it;
    default: the gateway's one-text send route).
    """
    left = 1.0
    for index, (kind, share, extra) in enumerate(mix):
        emulator.add_fault(
            kind,
            vendor=vendor,
            path=path or SEND_PATHS[vendor],
            method="POST",
            probability=share if kind in NON_TERMINAL else share / left,
            seed=seed * 100 + index,
            **extra,
        )
        if kind not in NON_TERMINAL:
            left -= share


def plant_other_messages(
    emulator: Any, vendor: str, seed: int, numbers: list[str], share: float, max_seconds_ago: float
) -> list[dict[str, Any]]:
    """Messages "another system" sent to ``share`` of ``numbers`` up to ``max_seconds_ago`` before
    now (seeded); returns the emulator's records of them."""
    rng = random.Random(seed)
    chosen = rng.sample(numbers, round(len(numbers) * share))
    return [
        emulator.inject_message(vendor, number, seconds_ago=rng.uniform(1.0, max_seconds_ago), category="crm")
        for number in chosen
    ]
