"""Write operator results as JSON or CSV to a local path or any ``ObjectStoragePath`` URL.

Used by the blacklist export and the account-stats operators. A path is either local
(``/data/stats.csv``, ``relative/stats.json``, ``file:///data/stats.csv``) or an object-storage URL
Airflow's ``ObjectStoragePath`` understands (``s3://bucket/key``, ``gs://...``; an Airflow
connection can be named in the URL, ``s3://my_aws_conn@bucket/key``). Local parent folders are
created; object stores need none.

Appending a CSV row works on every backend: local files are opened in append mode; on object
stores (which cannot append) the file is read and written back whole, which is fine for the small
time-series files this serves. A file that already exists keeps its header: new rows are written in
its column order (unknown keys are left out, missing ones left empty), so a time series never gets
misaligned columns.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.exceptions import SmsValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from airflow.providers.common.compat.sdk import ObjectStoragePath

FORMATS = ("json", "csv")
_LOCAL_PROTOCOLS = ("", "file", "local")


def to_storage_path(path: str | os.PathLike[str] | ObjectStoragePath) -> ObjectStoragePath:
    """Return ``path`` as an ``ObjectStoragePath`` (plain local paths are made absolute)."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    if isinstance(path, ObjectStoragePath):
        return path
    text = os.fspath(path)
    if "://" not in text:
        text = os.path.abspath(os.path.expanduser(text))
    return ObjectStoragePath(text)


def is_local(path: ObjectStoragePath) -> bool:
    """True for a path on the local file system."""
    return (path.protocol or "") in _LOCAL_PROTOCOLS


def resolve_format(path: str | os.PathLike[str] | ObjectStoragePath, output_format: str | None) -> str:
    """Return ``"json"`` or ``"csv"``: ``output_format`` if given, else the path's suffix, else JSON.

    :raises SmsValidationError: an unknown format, or a format that contradicts the path's suffix.
    """
    suffix = os.path.splitext(str(path))[1].lower().lstrip(".")
    problems = []
    if output_format is not None and str(output_format).lower() not in FORMATS:
        problems.append(f"output_format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    elif output_format is not None and suffix in FORMATS and suffix != str(output_format).lower():
        problems.append(f"output_format {output_format!r} contradicts the output path's '.{suffix}' suffix")
    if problems:
        raise SmsValidationError(problems)
    if output_format is not None:
        return str(output_format).lower()
    return suffix if suffix in FORMATS else "json"


def prepare_parent(path: ObjectStoragePath) -> None:
    """Create a local path's parent folders (object stores need none)."""
    if is_local(path):
        path.parent.mkdir(parents=True, exist_ok=True)


def write_json(path: ObjectStoragePath, data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON, replacing the file."""
    prepare_parent(path)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _csv_text(fieldnames: Sequence[str], rows: Sequence[Mapping[str, Any]], header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fieldnames), extrasaction="ignore", lineterminator="\n")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row.get(key)) for key in fieldnames})
    return buffer.getvalue()


def _header_of(text: str) -> list[str] | None:
    first = text.split("\n", 1)[0]
    return next(csv.reader([first])) if first.strip() else None


def read_csv_header(path: ObjectStoragePath) -> list[str] | None:
    """The header of an existing CSV file, or ``None`` when the file is missing or empty."""
    if not path.exists():
        return None
    if not is_local(path):
        return _header_of(path.read_text(encoding="utf-8"))
    with path.open("r", encoding="utf-8", newline="") as handle:
        return _header_of(handle.readline())


def _ends_with_newline(path: ObjectStoragePath) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) in (b"\n", b"\r")


def write_csv(path: ObjectStoragePath, fieldnames: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Write ``rows`` under a header, replacing the file. Nested values become JSON text."""
    prepare_parent(path)
    path.write_text(_csv_text(fieldnames, rows, header=True), encoding="utf-8")


def append_csv(
    path: ObjectStoragePath, fieldnames: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Append ``rows``; a new (or empty) file gets ``fieldnames`` as its header first.

    :return: the columns actually written (the existing header when the file had one).
    """
    if is_local(path):
        existing = read_csv_header(path)
        current = None
    else:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        existing = _header_of(current) if current else None
    columns = existing or list(fieldnames)
    text = _csv_text(columns, rows, header=existing is None)
    prepare_parent(path)
    if existing is None:
        path.write_text(text, encoding="utf-8")
    elif current is None:
        with path.open("a", encoding="utf-8", newline="") as handle:
            handle.write(text if _ends_with_newline(path) else "\n" + text)
    else:
        separator = "" if current.endswith("\n") else "\n"
        path.write_text(current + separator + text, encoding="utf-8")
    return columns
