"""The connection form as the UI receives it, on whichever Airflow runs the suite.

The UI's form comes from the api-server's ``GET /ui/connections/hook_meta``. From Airflow 3.2 that
endpoint reads ``conn-fields`` and ``ui-field-behaviour`` in the provider's metadata; 3.0 and 3.1
read the hook classes' ``get_connection_form_widgets()`` / ``get_ui_field_behaviour()`` instead.
The test calls the endpoint's own function in-process and reads its JSON, as the UI would.
"""

from __future__ import annotations

import pytest

from airflow_provider_sms.get_provider_info import get_provider_info

EXTRAS = {
    "primotexto": {"sender": "Default sender", "timeout": "Read timeout (seconds)"},
    "smspartner": {
        "sender": "Default sender",
        "timeout": "Read timeout (seconds)",
        "gamme": "Range (gamme)",
        "sandbox": "Sandbox",
    },
}
DEFAULT_HOSTS = {"primotexto": "https://api.primotexto.com", "smspartner": "https://api.smspartner.fr"}


@pytest.fixture(scope="module")
def hook_meta() -> dict[str, dict]:
    """``GET /ui/connections/hook_meta``'s body, by connection type (what the route returns, as JSON)."""
    from airflow.api_fastapi.core_api.datamodels.connections import ConnectionHookMetaData
    from airflow.api_fastapi.core_api.routes.ui.connections import hook_meta_data
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
    from pydantic import TypeAdapter

    HookMetaService.hook_meta_data.cache_clear()
    body = TypeAdapter(list[ConnectionHookMetaData]).dump_python(hook_meta_data(), mode="json")
    return {entry["connection_type"]: entry for entry in body}


@pytest.mark.parametrize("conn_type", sorted(EXTRAS))
def test_standard_fields_are_relabelled_and_hidden(hook_meta, conn_type):
    entry = hook_meta[conn_type]
    assert entry["hook_class_name"].startswith("airflow_provider_sms.hooks.")
    standard = entry["standard_fields"]
    assert standard is not None, entry
    assert standard["password"]["title"] == "API key"
    assert standard["password"]["hidden"] is False
    assert standard["host"]["title"] == "API host (optional)"
    assert standard["host"]["placeholder"] == DEFAULT_HOSTS[conn_type]
    for hidden in ("login", "url_schema", "port"):
        assert standard[hidden]["hidden"] is True, hidden


@pytest.mark.parametrize("conn_type", sorted(EXTRAS))
def test_extra_fields_are_labelled(hook_meta, conn_type):
    fields = hook_meta[conn_type]["extra_fields"] or {}
    declared = next(
        c["conn-fields"] for c in get_provider_info()["connection-types"] if c["connection-type"] == conn_type
    )
    assert set(fields) == set(declared)
    for name, label in EXTRAS[conn_type].items():
        assert fields[name]["schema"]["title"] == label, fields[name]
    for name, field in fields.items():
        assert field["schema"]["title"] == declared[name]["label"]
        assert field["description"] == declared[name].get("description"), name
        assert "null" in field["schema"]["type"], name  # every extra is optional


def test_smspartner_choices_keep_their_types(hook_meta):
    fields = hook_meta["smspartner"]["extra_fields"]
    assert "boolean" in fields["sandbox"]["schema"]["type"]
    assert "integer" in fields["gamme"]["schema"]["type"]
    assert [value for value in fields["gamme"]["schema"]["enum"] if value is not None] == [1, 2]
