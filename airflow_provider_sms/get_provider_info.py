"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GatewayEntry:
    """One gateway as the provider's metadata lists it (the one registry of gateways).

    :param replies_by_pull: the hook lists replies, so the reply sensor and trigger work on it
        (the hook's ``capabilities.replies_by_pull``; a test holds the two together).
    :param replies_by_webhook: the gateway posts replies to the provider's webhook, so its
        connection form has the webhook's extras (the hook's ``capabilities.replies_by_webhook``).
    """

    name: str
    conn_type: str
    hook_class: str
    default_host: str
    doc_url: str
    range_and_sandbox: bool = False
    replies_by_pull: bool = False
    replies_by_webhook: bool = False

    @property
    def hook_module(self) -> str:
        return self.hook_class.rpartition(".")[0]


GATEWAYS: tuple[GatewayEntry, ...] = (
    GatewayEntry(
        name="Primotexto",
        conn_type="primotexto",
        hook_class="airflow_provider_sms.hooks.primotexto.PrimotextoHook",
        default_host="https://api.primotexto.com",
        doc_url="https://www.primotexto.com/api/",
        replies_by_pull=True,
    ),
    GatewayEntry(
        name="SMS Partner",
        conn_type="smspartner",
        hook_class="airflow_provider_sms.hooks.smspartner.SmsPartnerHook",
        default_host="https://api.smspartner.fr",
        doc_url="https://docpartner.dev/",
        range_and_sandbox=True,
        replies_by_pull=True,
        replies_by_webhook=True,
    ),
)

OPERATORS = (
    "airflow_provider_sms.operators.send",
    "airflow_provider_sms.operators.blacklist",
    "airflow_provider_sms.operators.blacklist_export",
    "airflow_provider_sms.operators.stats",
    "airflow_provider_sms.operators.cancel",
)
SENSORS = ("airflow_provider_sms.sensors.delivery",)
TRANSFERS = ("airflow_provider_sms.transfers.sql_to_sms",)
TRIGGERS = ("airflow_provider_sms.triggers.delivery", "airflow_provider_sms.triggers.inbound")
#: Modules only for gateways that list replies.
REPLY_SENSORS = ("airflow_provider_sms.sensors.reply",)
REPLY_TRIGGERS = ("airflow_provider_sms.triggers.reply",)


def _conn_fields(gamme: bool, webhook: bool = False) -> dict[str, Any]:
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
    if webhook:
        fields["webhook_secret"] = {
            "label": "Reply webhook secret",
            "description": "32+ URL-safe characters (python -c 'import secrets; print(secrets.token_urlsafe(32))'); "
            "part of the URL the gateway posts replies to.",
            "schema": {"type": ["string", "null"], "format": "password"},
        }
        fields["public_base_url"] = {
            "label": "Public api-server URL",
            "description": "Where the gateway and the workers reach Airflow's api-server (https); "
            "replies are posted to <url>/sms/webhook/<conn_id>/<secret>.",
            "schema": {"type": ["string", "null"]},
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
            {"integration-name": g.name, "external-doc-url": g.doc_url, "tags": ["service"]} for g in GATEWAYS
        ],
        "hooks": [{"integration-name": g.name, "python-modules": [g.hook_module]} for g in GATEWAYS],
        "operators": [{"integration-name": g.name, "python-modules": list(OPERATORS)} for g in GATEWAYS],
        "sensors": [
            {
                "integration-name": g.name,
                "python-modules": [*SENSORS, *(REPLY_SENSORS if g.replies_by_pull else ())],
            }
            for g in GATEWAYS
        ],
        "triggers": [
            {
                "integration-name": g.name,
                "python-modules": [*TRIGGERS, *(REPLY_TRIGGERS if g.replies_by_pull else ())],
            }
            for g in GATEWAYS
        ],
        "transfers": [
            {
                "source-integration-name": "Common SQL",
                "target-integration-name": g.name,
                "python-module": module,
            }
            for g in GATEWAYS
            for module in TRANSFERS
        ],
        "notifications": ["airflow_provider_sms.notifications.sms.SmsNotifier"],
        "plugins": [{"name": "sms", "plugin-class": "airflow_provider_sms.plugins.plugin.SmsPlugin"}],
        "connection-types": [
            {
                "hook-class-name": g.hook_class,
                "hook-name": g.name,
                "connection-type": g.conn_type,
                "conn-fields": _conn_fields(gamme=g.range_and_sandbox, webhook=g.replies_by_webhook),
                "ui-field-behaviour": _ui(g.default_host),
            }
            for g in GATEWAYS
        ],
    }
