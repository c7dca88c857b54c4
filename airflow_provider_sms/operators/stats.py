"""Export the gateway account's figures (credits, counters, sub-account balances).

The operator returns one flat record to XCom and can write it to a file: JSON replaces the file
with the latest record; CSV appends one row per run (header only when the file is new), so a daily
DAG builds a time series any warehouse can load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import SmsValidationError
from airflow_provider_sms.operators.base import SmsBaseOperator
from airflow_provider_sms.outputs.files import (
    append_csv,
    resolve_format,
    to_storage_path,
    write_json,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def subaccount_row(account: Mapping[str, Any]) -> dict[str, Any]:
    """Keep what a finance export needs from one SMS Partner sub-account.

    The e-mail (personal data) and the ``token`` (the handle credit transfers use) are left out on
    purpose; the numeric ``id`` identifies the account. The API key is already dropped by the hook.
    """
    raw = account.get("credits")
    credits: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    return {
        "id": account.get("id"),
        "type": account.get("type"),
        "created_at": account.get("createdAt"),
        "balance": _number(credits.get("balance")),
        "currency": credits.get("currency"),
    }


def build_stats_record(
    vendor: str,
    conn_id: str,
    stats: Mapping[str, Any],
    *,
    fetched_at: datetime | None = None,
    subaccounts: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Assemble the record: lead columns, then the gateway's counters sorted by name.

    :param subaccounts: raw sub-accounts (``list_subaccounts()``), or ``None`` when not asked for.
    """
    when = (fetched_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    record: dict[str, Any] = {
        "vendor": vendor,
        "conn_id": conn_id,
        "fetched_at": when.isoformat(timespec="seconds"),
        "credits": _number(stats.get("credits")),
    }
    for key in sorted(stats):
        if key not in record:
            record[key] = stats[key]
    if subaccounts is not None:
        rows = [subaccount_row(account) for account in subaccounts]
        record["subaccounts_count"] = len(rows)
        record["subaccounts_balance"] = round(sum(row["balance"] or 0.0 for row in rows), 6)
        record["subaccounts"] = rows
    return record


def csv_columns(record: Mapping[str, Any]) -> list[str]:
    """The record's flat columns in a stable order (nested values such as ``subaccounts`` left out)."""
    return [key for key, value in record.items() if not isinstance(value, (list, dict))]


class SmsAccountStatsOperator(SmsBaseOperator):
    """Read the account's credits and counters; optionally write them to a file.

    Returns to XCom ``{"vendor", "conn_id", "fetched_at" (ISO-8601 UTC), "credits", ...counters}``.
    Primotexto gives ``credits`` and its sent / delivered / bounce counters (``/account/stats``);
    SMS Partner gives ``credits`` (the EUR balance as a number) and the ``/me`` credit fields.

    With ``include_subaccounts=True`` (SMS Partner only) every sub-account is read, all pages, and
    the record gains ``subaccounts_count``, ``subaccounts_balance`` (sum) and ``subaccounts``
    (``id``, ``type``, ``created_at``, ``balance``, ``currency`` each; no e-mail, token nor key).
    Primotexto has no sub-account API: asking for them there is refused before any request.

    :param sms_conn_id: connection of type ``primotexto`` or ``smspartner``. (templated)
    :param output_path: where to write: a local path, a ``file://`` URL or any ``ObjectStoragePath``
        URL (``s3://conn_id@bucket/key``). ``None`` writes nothing. (templated)
    :param output_format: ``"json"`` replaces the file with this record; ``"csv"`` appends one row
        (header only when the file is new; a file that exists keeps its columns, and the
        ``subaccounts`` list is left out of CSV rows). ``None`` (default) follows the path's suffix,
        JSON when it has neither. (templated)
    :param include_subaccounts: add every SMS Partner sub-account's balance.
    """

    template_fields: Sequence[str] = ("sms_conn_id", "output_path", "output_format")
    ui_color = "#e8f4ea"

    def __init__(
        self,
        *,
        sms_conn_id: str,
        output_path: str | None = None,
        output_format: str | None = None,
        include_subaccounts: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(sms_conn_id=sms_conn_id, **kwargs)
        self.output_path = output_path
        self.output_format = output_format
        self.include_subaccounts = include_subaccounts

    def execute(self, context: Context) -> dict[str, Any]:
        fmt = resolve_format(self.output_path, self.output_format) if self.output_path else None
        hook = self.hook
        if self.include_subaccounts and not hook.capabilities.subaccounts:
            raise SmsValidationError(
                [
                    f"{hook.hook_name} has no sub-accounts: include_subaccounts=True needs a gateway "
                    "with a sub-account API"
                ]
            )
        stats = hook.get_account_stats()
        subaccounts = hook.list_subaccounts() if self.include_subaccounts else None
        record = build_stats_record(hook.conn_type, self.sms_conn_id, stats, subaccounts=subaccounts)
        self.log.info("%s account: %s credits", hook.hook_name, record["credits"])
        if subaccounts is not None:
            self.log.info(
                "%d sub-account(s), %s in total", record["subaccounts_count"], record["subaccounts_balance"]
            )
        if self.output_path:
            self._write(record, fmt or "json")
        return record

    def _write(self, record: dict[str, Any], fmt: str) -> None:
        path = to_storage_path(str(self.output_path))
        if fmt == "json":
            write_json(path, record)
            self.log.info("Wrote the account stats as JSON to %s", path)
            return
        wanted = csv_columns(record)
        written = append_csv(path, wanted, [record])
        dropped = [column for column in wanted if column not in written]
        if dropped:
            self.log.warning(
                "%s keeps its existing columns; left out of this row: %s", path, ", ".join(dropped)
            )
        self.log.info("Appended one row of account stats to %s", path)
