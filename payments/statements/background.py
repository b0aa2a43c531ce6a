"""Importing a large statement file in the background: the upload kept on disk, a ``StatementImport`` recording
how far the import got, and the django-q2 task that runs ``statement_import`` once however often it is delivered.

The admin imports a file of up to ``BANK_STATEMENT_BACKGROUND_BYTES`` at once, in the request, and shows the
result; a larger one is queued here and its progress shown in the list of statement imports. Either way the import
is the same: the file read completely, then stored in one transaction or not at all.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from payments.models import StatementImport
from payments.statements.importer import CHUNK, statement_import
from payments.statements.records import StatementError

log = logging.getLogger(__name__)

#: Lines of the file read between two progress updates of the import record.
PROGRESS_EVERY = 5000

S = StatementImport.Status


def statement_import_is_large(size: int) -> bool:
    """Whether a file of ``size`` bytes is imported in the background rather than in the request."""
    return size > settings.BANK_STATEMENT_BACKGROUND_BYTES


def stalled(record: StatementImport, now=None) -> bool:
    """A run that has not reported progress for longer than a task may run: its worker is gone."""
    limit = timedelta(seconds=settings.Q_CLUSTER.get("timeout", 600) + 60)
    return record.status == S.RUNNING and record.updated_at < (now or timezone.now()) - limit


def statement_import_request(
    *, upload: File, file_name: str, format: str, profile: str = "", account_iban: str = "", user=None
) -> StatementImport:
    """Keep the uploaded file on disk, record the import and queue it to run once the transaction commits."""
    record = StatementImport(
        file_name=file_name[:255],
        size=upload.size or 0,
        format=format,
        profile=profile or "",
        account_iban=account_iban or "",
        requested_by=user,
        language=translation.get_language() or "",
    )
    upload.seek(0)
    record.file.save(f"{uuid.uuid4().hex}.upload", upload, save=False)
    record.save()
    statement_import_queue(record)
    return record


def statement_import_queue(record: StatementImport) -> None:
    """Run the import in the background once the transaction that recorded it commits."""
    from django_q.tasks import async_task

    record_id = record.pk
    task = "payments.statements.background.statement_import_run"
    transaction.on_commit(lambda: async_task(task, record_id, task_name=f"statement-import-{record_id}"))


def statement_import_again(record: StatementImport) -> bool:
    """Queue a failed or stalled import again while its file is still kept; returns whether it was queued."""
    if not record.file:
        return False
    again = StatementImport.objects.filter(pk=record.pk, status__in=(S.FAILED, S.RUNNING)).update(
        status=S.QUEUED, error="", rows_done=0, finished_at=None, updated_at=timezone.now()
    )
    if again:
        statement_import_queue(record)
    return bool(again)


def statement_import_run(import_id: int) -> str:
    """The task: import the kept file, recording the lines read, then done with the summary and the statement,
    or failed with the error as staff read it (the same words the upload page shows). Returns the status.

    A run claims the queued record, so a task delivered twice imports once. The kept file is deleted when the
    import ends, unless it failed for a reason other than the file (the database, a bug): then it can run again."""
    now = timezone.now()
    claimed = StatementImport.objects.filter(pk=import_id, status=S.QUEUED).update(
        status=S.RUNNING, started_at=now, updated_at=now, rows_done=0, error=""
    )
    if not claimed:
        return StatementImport.objects.filter(pk=import_id).values_list("status", flat=True).first() or "missing"
    record = StatementImport.objects.select_related("requested_by").get(pk=import_id)
    with translation.override(record.language or settings.LANGUAGE_CODE):
        try:
            with open(record.file.path, "rb") as file:
                total = _line_count(file)
                StatementImport.objects.filter(pk=import_id).update(rows_total=total, updated_at=timezone.now())
                result = statement_import(
                    file_name=record.file_name,
                    file=file,
                    format=record.format,
                    profile=record.profile or None,
                    account_iban=record.account_iban,
                    imported_by=record.requested_by,
                    progress=_Progress(import_id),
                )
        except StatementError as exc:
            return _failed(record, str(exc.located(file_name=record.file_name)), keep_file=False)
        except Exception as exc:
            log.exception("Statement import %s (%s) failed", import_id, record.file_name)
            message = gettext("The import stopped unexpectedly (%(error)s); nothing was stored. Run it again.") % {
                "error": f"{type(exc).__name__}: {exc}"
            }
            return _failed(record, message, keep_file=True)
        # Continuity warnings (lines may be missing) are said with the result, as an upload in the page says them.
        summary = " ".join([result.summary(), *result.warning_texts()])
    StatementImport.objects.filter(pk=import_id).update(
        status=S.DONE,
        statement=result.statement,
        summary=summary,
        rows_done=total,
        file="",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    record.file.delete(save=False)
    log.info("Statement import %s (%s): %s", import_id, record.file_name, summary)
    return S.DONE


class _Progress:
    """Records the line of the file read so far on the import, every ``PROGRESS_EVERY`` lines (an UPDATE outside
    the import's own transaction, which comes later, so the admin sees it)."""

    def __init__(self, import_id: int) -> None:
        self.import_id = import_id
        self.reported = 0

    def __call__(self, line: int) -> None:
        if line - self.reported >= PROGRESS_EVERY:
            self.reported = line
            StatementImport.objects.filter(pk=self.import_id).update(rows_done=line, updated_at=timezone.now())


def _line_count(file) -> int:
    """The lines of the file, the last one counted whether or not a line end closes it."""
    file.seek(0)
    count, last = 0, b"\n"
    for chunk in iter(lambda: file.read(CHUNK), b""):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    return count + (last != b"\n")


def _failed(record: StatementImport, error: str, *, keep_file: bool) -> str:
    StatementImport.objects.filter(pk=record.pk).update(
        status=S.FAILED,
        error=error[:4000],
        finished_at=timezone.now(),
        updated_at=timezone.now(),
        **({} if keep_file else {"file": ""}),
    )
    if not keep_file:
        record.file.delete(save=False)
    return S.FAILED
