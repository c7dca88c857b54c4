"""Export a gateway's STOP or bounce list to a CSV or JSON file, for a CRM or warehouse sync."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.operators.base import SmsBaseOperator
from airflow_provider_sms.outputs.files import resolve_format, to_storage_path, write_csv, write_json
from airflow_provider_sms.rules.numbers import normalize_number

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.sdk import Context

    from airflow_provider_sms.model.results import BlacklistEntry, ListType

#: CSV columns, in order.
EXPORT_COLUMNS = ("recipient", "id", "list_type", "vendor", "exported_at")


def _e164(raw: str) -> str:
    try:
        return normalize_number(raw)
    except ValueError:
        return raw


def export_rows(
    entries: Sequence[BlacklistEntry], *, list_type: str, vendor: str, exported_at: str
) -> list[dict[str, Any]]:
    """One row per listed number (E.164 where it parses), sorted by number for stable diffs."""
    rows = [
        {
            "recipient": _e164(entry.recipient),
            "id": entry.id,
            "list_type": list_type,
            "vendor": vendor,
            "exported_at": exported_at,
        }
        for entry in entries
    ]
    return sorted(rows, key=lambda row: (row["recipient"], str(row["id"])))


class SmsBlacklistExportOperator(SmsBaseOperator):
    """Write the current STOP (``unsubscribers``) or bounce list to a file, replacing it.

    CSV: one row per number with the columns ``recipient`` (E.164), ``id`` (the gateway's entry id),
    ``list_type``, ``vendor``, ``exported_at`` (ISO-8601 UTC). JSON: ``{"vendor", "conn_id",
    "list_type", "exported_at", "count", "entries": [{"recipient", "id"}]}``. Rows are sorted by
    number. Returns ``{"output_path", "format", "vendor", "conn_id", "list_type", "exported_at",
    "count"}`` to XCom (the numbers stay in the file).

    :param sms_conn_id: connection of type ``primotexto`` or ``smspartner``. (templated)
    :param output_path: a local path, a ``file://`` URL or any ``ObjectStoragePath`` URL
        (``s3://conn_id@bucket/key``). (templated)
    :param list_type: ``"unsubscribers"`` (STOP) or ``"bounces"`` (Primotexto only). (templated)
    :param output_format: ``"csv"`` or ``"json"``; ``None`` follows the path's suffix (JSON when it
        has neither). (templated)
    """

    template_fields: Sequence[str] = ("sms_conn_id", "list_type", "output_path", "output_format")
    ui_color = "#f4e8e8"

    def __init__(
        self,
        *,
        sms_conn_id: str,
        output_path: str,
        list_type: ListType = "unsubscribers",
        output_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(sms_conn_id=sms_conn_id, **kwargs)
        self.output_path = output_path
        self.list_type = list_type
        self.output_format = output_format

    def execute(self, context: Context) -> dict[str, Any]:
        fmt = resolve_format(self.output_path, self.output_format)
        hook = self.hook
        hook.check_list_type(self.list_type)
        entries = hook.get_blacklist(self.list_type)
        exported_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        rows = export_rows(entries, list_type=self.list_type, vendor=hook.conn_type, exported_at=exported_at)
        path = to_storage_path(self.output_path)
        if fmt == "csv":
            write_csv(path, EXPORT_COLUMNS, rows)
        else:
            write_json(
                path,
                {
                    "vendor": hook.conn_type,
                    "conn_id": self.sms_conn_id,
                    "list_type": self.list_type,
                    "exported_at": exported_at,
                    "count": len(rows),
                    "entries": [{"recipient": row["recipient"], "id": row["id"]} for row in rows],
                },
            )
        self.log.info(
            "Exported %d number(s) of the %s '%s' list as %s to %s",
            len(rows),
            hook.hook_name,
            self.list_type,
            fmt,
            path,
        )
        return {
            "output_path": str(path),
            "format": fmt,
            "vendor": hook.conn_type,
            "conn_id": self.sms_conn_id,
            "list_type": self.list_type,
            "exported_at": exported_at,
            "count": len(rows),
        }
