"""Provider registration: metadata, connection forms, discovery by Airflow."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

from airflow_provider_sms.get_provider_info import get_provider_info
from airflow_provider_sms.hooks import HOOK_CLASSES, hook_class_for


def test_connection_types_point_at_importable_hooks():
    info = get_provider_info()
    types = {c["connection-type"]: c for c in info["connection-types"]}
    assert set(types) == {"primotexto", "smspartner"} == set(HOOK_CLASSES)
    for conn_type, config in types.items():
        module, _, name = config["hook-class-name"].rpartition(".")
        hook_class = getattr(importlib.import_module(module), name)
        assert hook_class is hook_class_for(conn_type)
        assert hook_class.conn_type == conn_type
        assert hook_class.conn_name_attr == "sms_conn_id"
        assert hook_class.default_conn_name == f"{conn_type}_default"
        assert config["hook-name"] == hook_class.hook_name


def test_form_metadata_is_complete_and_matches_the_hooks():
    for config in get_provider_info()["connection-types"]:
        behaviour = config["ui-field-behaviour"]
        assert set(behaviour) == {"hidden-fields", "relabeling", "placeholders"}
        assert behaviour["relabeling"]["password"] == "API key"
        hook_class = hook_class_for(config["connection-type"])
        legacy = hook_class.get_ui_field_behaviour()
        assert set(legacy) == {"hidden_fields", "relabeling", "placeholders"}
        assert legacy["hidden_fields"] == behaviour["hidden-fields"]
        assert legacy["relabeling"] == behaviour["relabeling"]
        assert {"sender", "timeout"} <= set(config["conn-fields"])
        for field in config["conn-fields"].values():
            assert field["label"]
            assert field["schema"]["type"]
    smspartner = next(
        c for c in get_provider_info()["connection-types"] if c["connection-type"] == "smspartner"
    )
    assert {"gamme", "sandbox"} <= set(smspartner["conn-fields"])


def test_every_listed_module_and_notifier_imports():
    info = get_provider_info()
    for section in ("hooks", "operators", "sensors", "triggers"):
        for entry in info[section]:
            for module in entry["python-modules"]:
                importlib.import_module(module)
    for entry in info["transfers"]:
        importlib.import_module(entry["python-module"])
    for path in info["notifications"]:
        module, _, name = path.rpartition(".")
        assert getattr(importlib.import_module(module), name)


def test_every_operator_sensor_and_trigger_module_is_listed():
    """A module defining a concrete operator, sensor or trigger is in the provider's metadata (the
    shared bases ``SmsBaseOperator``, ``SmsSensor`` and ``PollingTrigger`` are not public classes)."""
    from airflow.sdk import BaseOperator
    from airflow.triggers.base import BaseTrigger

    import airflow_provider_sms

    info = get_provider_info()
    listed = {
        m
        for section in ("operators", "sensors", "triggers")
        for e in info[section]
        for m in e["python-modules"]
    } | {e["python-module"] for e in info["transfers"]}
    root = Path(airflow_provider_sms.__file__).parent
    found = set()
    for package in ("operators", "sensors", "triggers", "transfers"):
        for item in pkgutil.iter_modules([str(root / package)]):
            module = importlib.import_module(f"airflow_provider_sms.{package}.{item.name}")
            classes = [
                c
                for c in vars(module).values()
                if isinstance(c, type)
                and c.__module__ == module.__name__
                and issubclass(c, (BaseOperator, BaseTrigger))
                and c.__name__ not in ("SmsBaseOperator", "SmsSensor", "PollingTrigger")
            ]
            if classes:
                found.add(module.__name__)
    assert found == listed


def test_airflow_discovers_the_provider_and_its_connection_types():
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "get", "airflow-provider-sms", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    assert "airflow-provider-sms" in out
    hooks = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "hooks", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    assert "primotexto" in hooks
    assert "smspartner" in hooks


def test_one_list_of_gateways_agrees_with_the_hooks():
    """``GATEWAYS`` is the registry: its default host and reply capability are the hooks' own, and
    the reply sensor and trigger are listed for exactly the gateways that list replies."""
    from airflow_provider_sms.get_provider_info import GATEWAYS, REPLY_SENSORS, REPLY_TRIGGERS

    info = get_provider_info()
    for gateway in GATEWAYS:
        hook_class = hook_class_for(gateway.conn_type)
        assert gateway.default_host == hook_class.default_host
        assert gateway.replies_by_pull == hook_class.capabilities.replies_by_pull
        assert gateway.replies_by_webhook == hook_class.capabilities.replies_by_webhook
        fields = next(
            c["conn-fields"] for c in info["connection-types"] if c["connection-type"] == gateway.conn_type
        )
        assert ("webhook_secret" in fields) == ("public_base_url" in fields) == gateway.replies_by_webhook
        sensors = next(s["python-modules"] for s in info["sensors"] if s["integration-name"] == gateway.name)
        triggers = next(
            t["python-modules"] for t in info["triggers"] if t["integration-name"] == gateway.name
        )
        listed = set(REPLY_SENSORS) <= set(sensors) and set(REPLY_TRIGGERS) <= set(triggers)
        assert listed == hook_class.capabilities.replies_by_pull


def test_a_gateway_hook_missing_a_contract_method_cannot_be_built():
    import pytest

    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.hooks.primotexto import PrimotextoHook

    class Incomplete(SmsHook):
        conn_type = "incomplete"

    with pytest.raises(TypeError, match="abstract"):
        Incomplete("any")
    assert PrimotextoHook("any").sms_conn_id == "any"


def test_versions_agree_across_package_provider_info_and_changelog():
    """One version: ``__version__`` (which pyproject reads, ``[tool.hatch.version]``), the newest of
    provider info's ``versions``, and a released section of CHANGELOG.md (docs/releasing.md)."""
    import re

    import airflow_provider_sms

    root = Path(__file__).resolve().parent.parent
    pyproject = (root / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert '[tool.hatch.version]\npath = "airflow_provider_sms/__init__.py"' in pyproject
    version = airflow_provider_sms.__version__
    assert get_provider_info()["versions"][0] == version
    changelog = (root / "CHANGELOG.md").read_text()
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    assert released
    assert released[0] == version
