"""Per-recipient reports: one CSV or JSON-lines row per recipient, for audits.

Written by ``SmsSendOperator(report_path=...)`` (send outcomes) and
``SmsDeliverySensor(report_path=...)`` (delivery states) at the end of the task, also when it fails,
to a local path or any ``ObjectStoragePath`` URL (:mod:`airflow_provider_sms.outputs.files`).
Numbers are written in full unless ``mask_numbers``: the file is the user's own audit record.
"""

from __future__ import annotations

import json
import logging
import os
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_sms.exceptions import SmsReportError, SmsValidationError
from airflow_provider_sms.outputs.files import prepare_parent, to_storage_path, write_csv
from airflow_provider_sms.rules.clock import iso_from_epoch
from airflow_provider_sms.rules.numbers import mask_number

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from airflow.providers.common.compat.sdk import ObjectStoragePath

    from airflow_provider_sms.sending.batch import BatchReport

log = logging.getLogger(__name__)

ReportFormat = Literal["csv", "jsonl"]
REPORT_FORMATS: tuple[str, ...] = ("csv", "jsonl")
COLUMNS = ("recipient", "message_id", "outcome", "reason", "timestamp")
#: The columns of a personalised send's report: each row's key and position too.
ROW_COLUMNS = ("recipient", "key", "position", "message_id", "outcome", "reason", "timestamp")
_SUFFIXES = {"csv": "csv", "jsonl": "jsonl", "ndjson": "jsonl", "json": "jsonl"}


def option_problems(report_format: object, mask_numbers: object) -> list[str]:
    """Problems of the non-templated report options (checked when the operator is built)."""
    problems = []
    if report_format is not None and report_format not in REPORT_FORMATS:
        problems.append(f"report_format must be None, 'csv' or 'jsonl', got {report_format!r}")
    if not isinstance(mask_numbers, bool):
        problems.append(f"report_mask_numbers must be True or False, got {mask_numbers!r}")
    return problems


def resolve(path: object, report_format: str | None) -> tuple[ObjectStoragePath, str] | None:
    """The report's target and format, or ``None`` without ``path``; checked before any request.

    :raises SmsValidationError: no format given and the path's suffix names none.
    """
    if path is None or (isinstance(path, str) and not path.strip()):
        return None
    if report_format is None:
        suffix = os.path.splitext(str(path))[1].lower().lstrip(".")
        report_format = _SUFFIXES.get(suffix)
        if report_format is None:
            raise SmsValidationError(
                [f"report_path must end in .csv or .jsonl, or report_format be given (got '.{suffix}')"]
            )
    return to_storage_path(path), report_format  # type: ignore[arg-type]


def send_rows(report: BatchReport) -> list[dict[str, Any]]:
    """One row per recipient of a send: accepted, skipped, failed or unconfirmed (with its key
    and position where the send was personalised)."""
    rows: list[tuple[str, dict[str, Any]]] = []
    for identity, result in report.accepted():
        row: dict[str, Any] = {
            "recipient": result.recipient,
            "message_id": result.message_id,
            "outcome": "accepted",
            "reason": None,
        }
        if result.position is not None:
            row["key"], row["position"] = result.key, result.position
        rows.append((identity, row))
    for outcome, items in (
        ("skipped", report.skipped),
        ("failed", report.failed),
        ("unconfirmed", report.unconfirmed),
    ):
        for item in items:
            shown = report.public(item)
            row = {
                "recipient": shown["recipient"],
                "message_id": None,
                "outcome": outcome,
                "reason": item["reason"],
            }
            if "position" in shown:
                row["key"], row["position"] = shown["key"], shown["position"]
            rows.append((item["recipient"], row))
    for identity, row in rows:
        row["timestamp"] = iso_from_epoch(report.at.get(identity))
    return [row for _, row in rows]


def delivery_rows(statuses: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per tracked message: its delivery state, the gateway's own state as the reason
    (and the row's key and position, where the send was personalised)."""
    return [
        {
            "recipient": s.get("recipient"),
            "message_id": s.get("message_id"),
            "outcome": s.get("state"),
            "reason": s.get("vendor_state"),
            "timestamp": s.get("updated_at"),
            **({"key": s.get("key"), "position": s["position"]} if "position" in s else {}),
        }
        for s in statuses
    ]


def write(
    target: tuple[ObjectStoragePath, str], rows: list[dict[str, Any]], *, mask_numbers: bool = False
) -> ObjectStoragePath:
    """Write ``rows`` (replacing the file) as CSV or JSON lines; returns the path written."""
    path, report_format = target
    columns = ROW_COLUMNS if any("position" in row for row in rows) else COLUMNS
    if mask_numbers:
        rows = [{**row, "recipient": mask_number(row["recipient"])} for row in rows]
    if report_format == "csv":
        write_csv(path, columns, rows)
        return path
    prepare_parent(path)
    text = "".join(json.dumps({k: row.get(k) for k in columns}, ensure_ascii=False) + "\n" for row in rows)
    path.write_text(text, encoding="utf-8")
    return path


def write_safely(
    target: tuple[ObjectStoragePath, str] | None, rows: list[dict[str, Any]], *, mask_numbers: bool
) -> SmsReportError | None:
    """:func:`write` when there is a target; a failure is logged (class name only) and returned."""
    if target is None:
        return None
    try:
        path = write(target, rows, mask_numbers=mask_numbers)
    except Exception as exc:
        error = SmsReportError(f"Could not write the per-recipient report ({type(exc).__name__})")
        log.error("%s", error)
        return error
    log.info("Per-recipient report: %d row(s) written to %s", len(rows), path)
    return None
