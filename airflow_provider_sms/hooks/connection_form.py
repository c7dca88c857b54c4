"""The connection form of each gateway, from one source: ``get_provider_info()``.

From Airflow 3.2 the UI builds a connection type's form from ``conn-fields`` and
``ui-field-behaviour`` in :func:`~airflow_provider_sms.get_provider_info.get_provider_info`,
without importing the hook. Airflow 3.0 and 3.1 read the hook class instead: its
``get_connection_form_widgets()`` (WTForms fields) and ``get_ui_field_behaviour()``, and only where
the registered class itself defines them (an inherited one is ignored), and only when ``wtforms`` is
importable in the api-server (their ``/ui/connections/hook_meta`` swaps WTForms' field classes for
stand-ins while it reads them). :class:`ConnectionFormMixin` derives both from the metadata and, on
those versions only, puts them on each gateway hook class itself.
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow_provider_sms.get_provider_info import get_provider_info
from airflow_provider_sms.version_compat import AIRFLOW_V_3_2_PLUS

_LEGACY_FORM_METHODS = ("get_connection_form_widgets", "get_ui_field_behaviour")


def connection_type_info(conn_type: str) -> dict[str, Any]:
    """The ``connection-types`` entry of ``conn_type`` in the provider's metadata."""
    for entry in get_provider_info()["connection-types"]:
        if entry["connection-type"] == conn_type:
            return entry
    raise KeyError(conn_type)


def field_behaviour(conn_type: str) -> dict[str, Any]:
    """``ui-field-behaviour`` in the shape of a hook's ``get_ui_field_behaviour()``."""
    behaviour = connection_type_info(conn_type)["ui-field-behaviour"]
    return {
        "hidden_fields": list(behaviour["hidden-fields"]),
        "relabeling": dict(behaviour["relabeling"]),
        "placeholders": dict(behaviour["placeholders"]),
    }


def form_widgets(conn_type: str) -> dict[str, Any]:
    """``conn-fields`` as WTForms fields, for a hook's ``get_connection_form_widgets()``.

    WTForms is imported here, on call, so that Airflow's stand-ins are the classes used. Its four
    field kinds set the type: boolean, integer, else text (a number field reads back as text, which
    the connection parser accepts). Labels, descriptions, defaults and choices carry over.
    """
    from wtforms import BooleanField, IntegerField, StringField
    from wtforms.validators import Optional, any_of

    widgets: dict[str, Any] = {}
    for name, field in connection_type_info(conn_type)["conn-fields"].items():
        schema = field["schema"]
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        field_class = (
            BooleanField if "boolean" in types else IntegerField if "integer" in types else StringField
        )
        default = schema.get("default")
        if field_class is StringField and default is not None:
            default = str(default)
        validators = [Optional()]
        if "enum" in schema:
            validators.append(any_of(schema["enum"]))
        widgets[name] = field_class(
            field["label"], validators=validators, description=field.get("description", ""), default=default
        )
    return widgets


class ConnectionFormMixin:
    """The connection form classmethods of a gateway hook (one with its own ``conn_type``)."""

    conn_type: ClassVar[str]

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The extra fields of the connection form (read by Airflow before 3.2)."""
        return form_widgets(cls.conn_type)

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The API key is the password; login, schema and port are hidden (read before 3.2)."""
        return field_behaviour(cls.conn_type)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if AIRFLOW_V_3_2_PLUS or "conn_type" not in cls.__dict__:
            return  # 3.2+ reads the metadata, and warns about hooks that define these methods
        for method in _LEGACY_FORM_METHODS:  # before 3.2: only methods in the class's own __dict__
            setattr(cls, method, ConnectionFormMixin.__dict__[method])
