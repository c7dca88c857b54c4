"""Airflow version flags for the few places where the provider's code differs between versions.

Same shape as the ``version_compat.py`` the official providers keep in their own package (copied,
not imported from another provider, so the provider depends on no other provider for it).
"""

from __future__ import annotations


def get_base_airflow_version_tuple() -> tuple[int, int, int]:
    """The installed Airflow's ``(major, minor, micro)``, pre-release and local parts dropped."""
    from airflow import __version__
    from packaging.version import Version

    airflow_version = Version(__version__)
    return airflow_version.major, airflow_version.minor, airflow_version.micro


AIRFLOW_V_3_1_PLUS: bool = get_base_airflow_version_tuple() >= (3, 1, 0)
AIRFLOW_V_3_2_PLUS: bool = get_base_airflow_version_tuple() >= (3, 2, 0)
AIRFLOW_V_3_3_PLUS: bool = get_base_airflow_version_tuple() >= (3, 3, 0)

__all__ = [
    "AIRFLOW_V_3_1_PLUS",
    "AIRFLOW_V_3_2_PLUS",
    "AIRFLOW_V_3_3_PLUS",
    "get_base_airflow_version_tuple",
]
