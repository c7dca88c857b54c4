"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from typing import Any

_INTEGRATIONS = ("Primotexto", "SMS Partner")


def _conn_fields(gamme: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "sender": {
            "label": "Default sender",
            "description": "3 to 11 letters or digits, not all digits. Empty: the gateway's short code.",
            "schema": {"type": ["string", "null"]},
        },
        "timeout": {
            "label": "Read timeout (seconds)",
            "schema": {"type": ["number", "null"], "default": 30},
        },
        "max_in_flight": {
            "label": "Requests in flight",
            "description": "Default of every task on this connection (sends, list edits); empty: 8.",
            "schema": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000},
        },
        "max_per_second": {
            "label": "Messages per second (ceiling)",
            "description": "Per task; to hold it across mapped tasks or workers, see the docs (pools).",
            "schema": {"type": ["number", "null"], "exclusiveMinimum": 0},
        },
    }
    if gamme:
        fields["gamme"] = {
            "label": "Range (gamme)",
            "description": "1 = Premium (default), 2 = Low Cost.",
            "schema": {"type": ["integer", "null"], "enum": [1, 2, None]},
        }
        fields["sandbox"] = {
            "label": "Sandbox",
            "description": "Nothing is sent nor charged; the gateway still answers.",
            "schema": {"type": ["boolean", "null"], "default": False},
        }
    return fields


def _ui(default_host: str) -> dict[str, Any]:
    return {
        "hidden-fields": ["login", "schema", "port"],
        "relabeling": {"password": "API key", "host": "API host (optional)"},
        "placeholders": {"host": default_host},
    }


def get_provider_info() -> dict[str, Any]:
    """Return the provider's description: connection types, hooks, operators, sensors, triggers."""
    return {
        "package-name": "airflow-provider-sms",
        "name": "SMS (Primotexto, SMS Partner)",
        "description": "Send SMS, manage STOP and bounce lists, wait for delivery and export account "
        "figures through the Primotexto and SMS Partner gateways.",
        "versions": ["0.1.0"],
        "integrations": [
            {"integration-name": name, "external-doc-url": url, "tags": ["service"]}
            for name, url in zip(
                _INTEGRATIONS, ("https://www.primotexto.com/api/", "https://docpartner.dev/"), strict=False
            )
        ],
        "hooks": [
            {"integration-name": "Primotexto", "python-modules": ["airflow_provider_sms.hooks.primotexto"]},
            {"integration-name": "SMS Partner", "python-modules": ["airflow_provider_sms.hooks.smspartner"]},
        ],
        "operators": [
            {
                "integration-name": name,
                "python-modules": [
                    "airflow_provider_sms.operators.send",
                    "airflow_provider_sms.operators.blacklist",
                    "airflow_provider_sms.operators.blacklist_export",
                    "airflow_provider_sms.operators.stats",
                ],
            }
            for name in _INTEGRATIONS
        ],
        # The reply sensor and trigger need a gateway that lists replies (Primotexto).
        "sensors": [
            {
                "integration-name": name,
                "python-modules": ["airflow_provider_sms.sensors.delivery"]
                + (["airflow_provider_sms.sensors.reply"] if name == "Primotexto" else []),
            }
            for name in _INTEGRATIONS
        ],
        "triggers": [
            {
                "integration-name": name,
                "python-modules": [
                    "airflow_provider_sms.triggers.delivery",
                    "airflow_provider_sms.triggers.inbound",
                ]
                + (["airflow_provider_sms.triggers.reply"] if name == "Primotexto" else []),
            }
            for name in _INTEGRATIONS
        ],
        "notifications": ["airflow_provider_sms.notifications.sms.SmsNotifier"],
        "connection-types": [
            {
                "hook-class-name": "airflow_provider_sms.hooks.primotexto.PrimotextoHook",
                "hook-name": "Primotexto",
                "connection-type": "primotexto",
                "conn-fields": _conn_fields(gamme=False),
                "ui-field-behaviour": _ui("https://api.primotexto.com"),
            },
            {
                "hook-class-name": "airflow_provider_sms.hooks.smspartner.SmsPartnerHook",
                "hook-name": "SMS Partner",
                "connection-type": "smspartner",
                "conn-fields": _conn_fields(gamme=True),
                "ui-field-behaviour": _ui("https://api.smspartner.fr"),
            },
        ],
    }
