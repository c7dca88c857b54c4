"""What a send tells about itself when it ends, green or not: the summary log line, the Airflow
metrics (:mod:`airflow_provider_sms.toolkit.metrics`) and the per-recipient report
(:mod:`airflow_provider_sms.outputs.recipient_report`)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_sms.outputs import recipient_report as reports
from airflow_provider_sms.toolkit import metrics

if TYPE_CHECKING:
    from airflow_provider_sms.exceptions import SmsReportError
    from airflow_provider_sms.hooks.base import SmsHook
    from airflow_provider_sms.sending.batch import BatchReport
    from airflow_provider_sms.sending.journal import SendJournal

log = logging.getLogger(__name__)


@dataclass
class SendObserver:
    """Built before the first request (a bad ``report_path`` fails then), finished after the batch.

    :param report_path: rendered ``report_path`` (``None``: no report).
    :param report_format: ``"csv"``, ``"jsonl"`` or ``None`` (from the path's suffix).
    """

    hook: SmsHook
    task_id: str
    report_path: Any = None
    report_format: str | None = None
    mask_numbers: bool = False
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.target = reports.resolve(self.report_path, self.report_format)

    def finish(self, report: BatchReport, journal: SendJournal) -> SmsReportError | None:
        """Log the summary, emit the counters, write the report; a report error is returned."""
        hook = self.hook
        log.info(
            "%s: %d accepted (%d recovered from earlier tries), %d skipped, %d failed, %d unconfirmed "
            "in %.1f s; journal: %s, %d write(s)",
            self.task_id,
            len(report.sent),
            report.recovered,
            len(report.skipped),
            len(report.failed),
            len(report.unconfirmed),
            time.monotonic() - self.started,
            journal.kind,
            journal.writes,
        )
        tags = {"gateway": hook.conn_type, "conn_id": hook.sms_conn_id}
        metrics.incr("send.accepted", len(report.sent) - report.recovered, **tags)
        metrics.incr("send.recovered", report.recovered, **tags)
        metrics.incr("send.skipped", len(report.skipped), **tags)
        metrics.incr("send.failed", len(report.failed), **tags)
        metrics.incr("send.unconfirmed", len(report.unconfirmed), **tags)
        rows = reports.send_rows(report) if self.target is not None else []
        return reports.write_safely(self.target, rows, mask_numbers=self.mask_numbers)
