"""Apache Airflow provider for the Primotexto and SMS Partner SMS gateways."""

from __future__ import annotations

__version__ = "0.1.0"

_MIN_AIRFLOW = (3, 0, 0)


def _check_airflow_version() -> None:
    """Refuse, with a clear message, an Airflow older than 3.0."""
    try:
        from airflow import __version__ as airflow_version
    except ImportError:  # pragma: no cover - airflow is a hard dependency
        return
    from packaging.version import Version

    if Version(Version(airflow_version).base_version).release < _MIN_AIRFLOW:
        raise RuntimeError(
            f"airflow-provider-sms {__version__} needs Apache Airflow >= 3.0.0; "
            f"this environment has {airflow_version}."
        )


_check_airflow_version()
