"""Writing a reconciliation export: the file in its format, progress recorded on the export, and the django-q2
task that runs it once however often it is delivered."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from b2bportal.spreadsheets import csv_write, xlsx_write
from erpsync.models import ReconciliationExport
from erpsync.reconciliation.balances import balance_columns, balance_count, balance_rows
from erpsync.reconciliation.orders import order_columns, order_count, order_rows
from erpsync.reconciliation.payments import payment_columns, payment_count, payment_rows
from erpsync.reconciliation.report import PROGRESS_EVERY, Report, TotalRow

log = logging.getLogger(__name__)

REPORTS: dict[str, Report] = {
    ReconciliationExport.Report.ORDERS: Report(gettext_lazy("Orders"), order_columns, order_count, order_rows),
    ReconciliationExport.Report.PAYMENTS: Report(
        gettext_lazy("Payments"), payment_columns, payment_count, payment_rows
    ),
    ReconciliationExport.Report.BALANCES: Report(
        gettext_lazy("Balances"), balance_columns, balance_count, balance_rows
    ),
}


class _Progress:
    """Passes the rows through, counting data rows and flagged ones, and records the count on the export every
    ``every`` rows (an UPDATE the admin's list reads)."""

    def __init__(self, export_id: int | None, every: int = PROGRESS_EVERY):
        self.export_id, self.every = export_id, every
        self.done = self.flagged = 0

    def __call__(self, rows: Iterable[Sequence]) -> Iterator[Sequence]:
        for row in rows:
            if not isinstance(row, TotalRow):
                self.done += 1
                self.flagged += bool(row[-1])
                if self.export_id and self.done % self.every == 0:
                    ReconciliationExport.objects.filter(pk=self.export_id).update(
                        rows_done=self.done, rows_flagged=self.flagged, updated_at=timezone.now()
                    )
            yield row


def export_file_write(export: ReconciliationExport, target, *, progress: _Progress | None = None) -> _Progress:
    """Write ``export``'s report into ``target`` (a path or a binary file) in its format; returns the counts."""
    report = REPORTS[export.report]
    columns = report.columns(export)
    header = [str(column.label) for column in columns]
    progress = progress or _Progress(None)
    rows = progress(report.rows(export))
    if export.format == ReconciliationExport.Format.CSV:
        if isinstance(target, str | os.PathLike):
            with open(target, "wb") as file:
                csv_write(file, header, rows)
        else:
            csv_write(target, header, rows)
    else:
        xlsx_write(
            target if not isinstance(target, os.PathLike) else str(target),
            header,
            rows,
            title=str(report.title)[:31],
            money_columns=[i for i, column in enumerate(columns) if column.money],
            widths=[column.width for column in columns],
        )
    return progress


def reconciliation_export_request(
    *, report: str, file_format: str, period_from=None, period_to=None, dealer=None, user=None, language: str = ""
) -> ReconciliationExport:
    """Record an export and queue its run after the transaction commits."""
    export = ReconciliationExport(
        report=report,
        format=file_format,
        period_from=period_from,
        period_to=period_to,
        dealer=dealer,
        requested_by=user,
        language=language or translation.get_language() or "",
    )
    export.full_clean()
    export.save()
    reconciliation_export_queue(export)
    return export


def reconciliation_export_queue(export: ReconciliationExport) -> None:
    """Run ``export`` in the background once the transaction that recorded it commits."""
    from django_q.tasks import async_task

    export_id = export.pk
    task = "erpsync.reconciliation.reconciliation_export_run"
    transaction.on_commit(lambda: async_task(task, export_id, task_name=f"reconciliation-export-{export_id}"))


def reconciliation_export_again(export: ReconciliationExport) -> bool:
    """Queue a failed (or stalled) export again; returns whether it was queued."""
    S = ReconciliationExport.Status
    again = ReconciliationExport.objects.filter(pk=export.pk, status__in=(S.FAILED, S.RUNNING)).update(
        status=S.QUEUED, error="", rows_done=0, rows_flagged=0, finished_at=None, updated_at=timezone.now()
    )
    if again:
        reconciliation_export_queue(export)
    return bool(again)


def reconciliation_export_run(export_id: int) -> str:
    """The task: write the export's file, recording progress, then done with the counts, or failed with the error
    (logged). Returns the export's status. A run finds the export queued and claims it, so a task delivered twice
    writes the file once."""
    S = ReconciliationExport.Status
    now = timezone.now()
    claimed = ReconciliationExport.objects.filter(pk=export_id, status=S.QUEUED).update(
        status=S.RUNNING, started_at=now, updated_at=now, rows_done=0, rows_flagged=0, error=""
    )
    if not claimed:
        return ReconciliationExport.objects.filter(pk=export_id).values_list("status", flat=True).first() or "missing"
    export = ReconciliationExport.objects.select_related("dealer").get(pk=export_id)
    storage = export.file.storage
    name = f"reconciliation-{export.pk}-{export.report}.{export.format}"
    partial = ""
    try:
        with translation.override(export.language or settings.LANGUAGE_CODE):
            total = REPORTS[export.report].count(export)
            ReconciliationExport.objects.filter(pk=export_id).update(rows_total=total)
            os.makedirs(storage.location, exist_ok=True)
            partial = storage.path(name + ".part")
            progress = export_file_write(export, partial, progress=_Progress(export_id))
            os.replace(partial, storage.path(name))
    except Exception as exc:
        log.exception("Reconciliation export %s (%s) failed", export_id, export.report)
        if partial and os.path.exists(partial):
            os.remove(partial)
        ReconciliationExport.objects.filter(pk=export_id).update(
            status=S.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000], finished_at=timezone.now(),
            updated_at=timezone.now(),
        )  # fmt: skip
        return S.FAILED
    ReconciliationExport.objects.filter(pk=export_id).update(
        status=S.DONE,
        file=name,
        rows_total=progress.done,
        rows_done=progress.done,
        rows_flagged=progress.flagged,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    log.info("Reconciliation export %s: %s rows, %s differ", export_id, progress.done, progress.flagged)
    return S.DONE
