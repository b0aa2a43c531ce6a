"""Large statement files: imported by the task worker with their progress on a ``StatementImport``, read and
written in bounded memory, stored completely or not at all."""

import io
import tracemalloc
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from payments.models import BankStatement, BankTransaction, StatementImport
from payments.statements import importer, mt940_format
from payments.statements.background import statement_import_again, statement_import_run
from payments.statements.mt940_format import read_mt940
from payments.statements.records import ParsedStatement
from payments.tests.statement_files import MT940, long_mt940, sample

pytestmark = pytest.mark.django_db
IMPORT_URL = "admin:payments_bankstatement_import"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
S = StatementImport.Status


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.BANK_STATEMENT_UPLOAD_DIR = tmp_path / "uploads"
    settings.BANK_STATEMENT_BACKGROUND_BYTES = 1000  # the 1,247-byte sample counts as large here
    return settings.BANK_STATEMENT_UPLOAD_DIR


def upload(client, name: str, data: bytes, **fields):
    return client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile(name, data), **fields}, follow=True, **EN)


def kept_files(uploads) -> list[str]:
    return sorted(path.name for path in uploads.iterdir()) if uploads.exists() else []


def test_a_large_upload_is_imported_in_the_background_with_progress_and_result(
    staff_client, superuser, uploads, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(staff_client, MT940, sample(MT940), format="auto")

    record = StatementImport.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:payments_statementimport_change", args=[record.pk])
    assert "imported in the background" in response.content.decode()
    assert (record.status, record.format, record.requested_by) == (S.QUEUED, "mt940", superuser)
    assert BankStatement.objects.count() == 0 and len(kept_files(uploads)) == 1

    for callback in queued:  # the worker picks the task up
        callback()

    record.refresh_from_db()
    statement = BankStatement.objects.get()
    assert record.status == S.DONE and record.statement == statement
    assert (record.rows_done, record.rows_total) == (28, 28)
    assert record.summary.startswith("Created 6 lines, skipped 0 already imported, 1 outgoing line ignored")
    assert statement.imported_by == superuser and statement.transactions.count() == 6
    assert kept_files(uploads) == [] and not record.file
    html = staff_client.get(reverse("admin:payments_statementimport_changelist"), **EN).content.decode()
    assert "Done" in html and reverse("admin:payments_bankstatement_change", args=[statement.pk]) in html


def test_a_small_upload_is_still_imported_in_the_request(staff_client, settings):
    settings.BANK_STATEMENT_BACKGROUND_BYTES = 512 * 1024

    response = upload(staff_client, MT940, sample(MT940), format="mt940")

    assert "Created 6 lines" in response.content.decode()
    assert StatementImport.objects.count() == 0 and BankTransaction.objects.count() == 6


def test_a_broken_large_file_fails_with_the_error_staff_read_and_stores_nothing(
    staff_client, uploads, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(staff_client, "mt940_truncated.sta", sample("mt940_truncated.sta"), format="mt940")

    record = StatementImport.objects.get()
    assert record.status == S.FAILED
    assert record.error == (
        "mt940_truncated.sta, line 22, :62F:: The statement has no closing balance (:62F:): the file looks truncated."
    )
    assert BankStatement.objects.count() == 0 and BankTransaction.objects.count() == 0
    assert kept_files(uploads) == []
    html = staff_client.get(reverse("admin:payments_statementimport_changelist"), **EN).content.decode()
    assert "Failed: mt940_truncated.sta, line 22" in html


def test_a_failure_while_storing_leaves_nothing_and_the_import_can_run_again(
    staff_client, uploads, monkeypatch, django_capture_on_commit_callbacks
):
    original = importer._transaction
    written = []

    def failing(statement, account, line, fingerprint):
        if len(written) == 3:
            raise RuntimeError("disk full")
        written.append(line)
        return original(statement, account, line, fingerprint)

    monkeypatch.setattr(importer, "_transaction", failing)
    with django_capture_on_commit_callbacks(execute=True):
        upload(staff_client, MT940, sample(MT940), format="mt940")

    record = StatementImport.objects.get()
    assert record.status == S.FAILED and "stopped unexpectedly (RuntimeError: disk full)" in record.error
    assert BankStatement.objects.count() == 0 and BankTransaction.objects.count() == 0
    assert len(kept_files(uploads)) == 1  # not the file's fault: kept to run again

    monkeypatch.setattr(importer, "_transaction", original)
    with django_capture_on_commit_callbacks(execute=True):
        assert statement_import_again(record)

    record.refresh_from_db()
    assert record.status == S.DONE and BankTransaction.objects.count() == 6 and kept_files(uploads) == []


def test_the_task_delivered_twice_imports_once(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(staff_client, MT940, sample(MT940), format="mt940")
    record = StatementImport.objects.get()

    assert statement_import_run(record.pk) == S.DONE
    assert BankStatement.objects.count() == 1 and BankTransaction.objects.count() == 6


def test_the_list_shows_progress_refreshes_while_running_and_names_a_stalled_import(staff_client):
    running = StatementImport.objects.create(
        file_name="big.sta", format="mt940", status=S.RUNNING, rows_done=40_000, rows_total=160_000
    )

    html = staff_client.get(reverse("admin:payments_statementimport_changelist"), **EN).content.decode()

    assert "25 % (40000 / 160000)" in html and 'http-equiv="refresh"' in html
    StatementImport.objects.filter(pk=running.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    html = staff_client.get(reverse("admin:payments_statementimport_changelist"), **EN).content.decode()
    assert "Stalled" in html


def test_a_long_statement_is_read_in_windows_and_written_in_batches(monkeypatch):
    monkeypatch.setattr(mt940_format, "WINDOW", 400)
    parts = list(read_mt940(io.BytesIO(long_mt940(1000)), file_name="long.sta"))

    # The lines come in batches before the statement they belong to, which follows once its balances check.
    assert [len(part) for part in parts[:-1]] == [400, 400, 200]
    assert isinstance(parts[-1], ParsedStatement) and parts[-1].closing_balance == 10_000

    monkeypatch.setattr(importer, "BATCH", 300)
    inserts = []
    original = BankTransaction.objects.bulk_create
    monkeypatch.setattr(
        BankTransaction.objects, "bulk_create", lambda rows, **kw: inserts.append(len(rows)) or original(rows, **kw)
    )
    result = importer.statement_import(file_name="long.sta", data=long_mt940(1000), format="mt940")

    # Written BATCH rows to an INSERT, whatever the windows they were read in.
    assert inserts == [300, 300, 300, 100] and result.created == 1000 == BankTransaction.objects.count()


def test_reading_a_statement_eight_times_as_long_does_not_take_eight_times_the_memory():
    def peak(transactions: int) -> int:
        data = long_mt940(transactions)
        tracemalloc.start()
        try:
            for _part in read_mt940(io.BytesIO(data), file_name="long.sta"):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    short, long = peak(1500), peak(12_000)

    # Read whole, the statement's tags, the package's transactions and the lines would grow with its length (8x);
    # read in windows, what remains is the package's cyclic garbage until the collector runs.
    assert long < 4 * short


def test_staff_who_may_import_follow_their_background_import(client, django_capture_on_commit_callbacks):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_bankstatement", "view_bankstatement"]))
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, MT940, sample(MT940), format="mt940")

    assert response.status_code == 200
    record = StatementImport.objects.get()
    page = client.get(reverse("admin:payments_statementimport_change", args=[record.pk]), **EN)
    assert page.status_code == 200 and "Created 6 lines" in page.content.decode()
    assert record.requested_by == user and record.status == S.DONE
