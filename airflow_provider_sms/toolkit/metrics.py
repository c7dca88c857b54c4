"""Airflow metrics of the provider, through Airflow's own ``Stats`` (StatsD, Datadog or OpenTelemetry,
as ``[metrics]`` configures it).

Every metric is emitted twice: ``sms.<name>`` with the tags ``gateway`` (connection type) and
``conn_id``, for backends that keep tags (Datadog, OpenTelemetry, StatsD with
``statsd_influxdb_enabled``), and ``sms.<name>.<gateway>.<conn_id>`` without tags, for plain StatsD,
which drops them. Names are listed in ``docs/metrics.md``. When ``[metrics]`` enables no backend,
nothing is called at all (the check is read once per process; :func:`reset` forgets it).
"""

from __future__ import annotations

import functools
import re

PREFIX = "sms"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@functools.cache
def enabled() -> bool:
    """Whether ``[metrics]`` turns on a backend (StatsD, Datadog or OpenTelemetry)."""
    try:
        from airflow.providers.common.compat.sdk import conf

        return any(
            conf.getboolean("metrics", option, fallback=False)
            for option in ("statsd_on", "statsd_datadog_enabled", "otel_on")
        )
    except Exception:  # no usable configuration: no metrics
        return False


def reset() -> None:
    """Read ``[metrics]`` again at the next emission (after a configuration change)."""
    enabled.cache_clear()


def _part(value: object) -> str:
    return _UNSAFE.sub("_", str(value)) or "none"


def _names(name: str, gateway: str, conn_id: str) -> tuple[str, str, dict[str, str]]:
    tags = {"gateway": str(gateway), "conn_id": str(conn_id)}
    return f"{PREFIX}.{name}", f"{PREFIX}.{name}.{_part(gateway)}.{_part(conn_id)}", tags


def incr(name: str, count: int = 1, *, gateway: str, conn_id: str) -> None:
    """Add ``count`` (skipped when 0) to counter ``sms.<name>`` of this gateway and connection."""
    if count <= 0 or not enabled():
        return
    from airflow.providers.common.compat.sdk import Stats

    tagged, plain, tags = _names(name, gateway, conn_id)
    try:
        Stats.incr(tagged, count, tags=tags)
        Stats.incr(plain, count)
    except Exception:  # a metrics backend must never fail a send
        return


def timing(name: str, milliseconds: float, *, gateway: str, conn_id: str) -> None:
    """Record a duration, in milliseconds, under ``sms.<name>``."""
    if not enabled():
        return
    from airflow.providers.common.compat.sdk import Stats

    tagged, plain, tags = _names(name, gateway, conn_id)
    try:
        Stats.timing(tagged, milliseconds, tags=tags)
        Stats.timing(plain, milliseconds)
    except Exception:
        return
