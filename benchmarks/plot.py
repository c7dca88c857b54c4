"""Throughput against requests in flight, from ``bench_send`` rows, as a PNG (matplotlib)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


def throughput_plot(rows: list[dict[str, Any]], latency_ms: float, path: Path) -> bool:
    """Draw raw aiohttp, SmsSendOperator and the ideal ``N / latency``; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    series: dict[str, list[tuple[int, float]]] = {"raw": [], "operator": []}
    for row in rows:
        if row.get("kind") in series and row.get("per_second"):
            series[row["kind"]].append((int(row["in_flight"]), float(row["per_second"])))
    if not any(series.values()):
        return False
    flights = sorted({n for points in series.values() for n, _ in points})
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    ax.plot(flights, [n * 1000 / latency_ms for n in flights], "k--", label=f"ideal (N / {latency_ms:g} ms)")
    labels = {"raw": "raw aiohttp client", "operator": "SmsSendOperator (Primotexto)"}
    for kind, points in series.items():
        points.sort()
        ax.plot([n for n, _ in points], [v for _, v in points], "o-", label=labels[kind])
    ax.set_xscale("log", base=2)
    ax.set_xticks(flights, [str(n) for n in flights])
    ax.set_xlabel("requests in flight")
    ax.set_ylabel("SMS per second")
    ax.set_title("Send throughput against the emulator (own process)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True
