import re
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from catalog.models import Product, Unit
from erpsync import tasks
from erpsync.adapters.base import ErpProduct, ErpUnit
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, ExternalRef, SyncIssue, SyncJob, SyncRun
from erpsync.schedules import planned_schedules, schedules_install

pytestmark = pytest.mark.django_db
D = Decimal


def test_sync_command_runs_and_reports_dry_run(memory_erp):
    memory_erp.publish("unit", [ErpUnit("AD", "Adet")])
    out = StringIO()
    call_command("erpsync", "sync", "mem", "unit", "--dry-run", "--no-progress", stdout=out)
    assert "[dry run] unit: succeeded — created 1" in out.getvalue()
    assert not SyncRun.objects.filter(dry_run=False).exists()


def test_sync_command_with_the_progress_bar_on_imports_every_entity(memory_erp):
    memory_erp.publish("unit", [ErpUnit("AD", "Adet")])
    memory_erp.publish("product", [ErpProduct("P1", "Kablo", "AD", vat_rate=D("20"))])
    out, err = StringIO(), StringIO()
    call_command("erpsync", "sync", "mem", "unit", stdout=out, stderr=err)
    assert "unit: succeeded — created 1" in out.getvalue(), err.getvalue()
    call_command("erpsync", "sync", "mem", "all", stdout=out, stderr=err)
    assert "product: succeeded — created 1" in out.getvalue(), err.getvalue()
    assert "failed:" not in err.getvalue()
    assert Product.objects.get().sku == "P1"
    assert not SyncRun.objects.filter(status=SyncRun.Status.FAILED).exists()


def test_a_failing_sync_command_leaves_a_failed_run_in_the_log(db, tmp_path, staff_client):
    # The drop folder is gone: the import cannot even start reading.
    ErpConnection.objects.create(code="files", name="Files", adapter="file", settings={"root": str(tmp_path / "gone")})
    err = StringIO()
    with pytest.raises(CommandError, match="Some imports failed"):
        call_command("erpsync", "sync", "files", "stock", stdout=StringIO(), stderr=err)
    assert "stock: failed:" in err.getvalue()
    run = SyncRun.objects.get()
    assert (run.entity, run.status, run.dry_run) == ("stock", SyncRun.Status.FAILED, False)
    assert run.error and run.finished_at is not None
    assert SyncIssue.objects.filter(run=run, code="import_failed").exists()
    response = staff_client.get(reverse("admin:erpsync_syncrun_changelist") + "?status__exact=failed")
    assert response.status_code == 200 and "stock" in response.content.decode()


def test_a_dry_run_changes_nothing_and_is_logged_as_a_dry_run(memory_erp, staff_client):
    memory_erp.publish("unit", [ErpUnit("AD", "Adet")])
    out = StringIO()
    call_command("erpsync", "sync", "mem", "unit", "--dry-run", stdout=out, stderr=StringIO())
    assert "[dry run] unit: succeeded — created 1" in out.getvalue()
    assert not Unit.objects.exists()
    assert not SyncIssue.objects.exists()
    run = SyncRun.objects.get()
    assert run.dry_run and run.created == 1
    # The run log tells it apart: the dry-run filter lists it, the real runs do not.
    changelist = reverse("admin:erpsync_syncrun_changelist")
    assert staff_client.get(changelist + "?dry_run__exact=1").context["cl"].result_count == 1
    assert staff_client.get(changelist + "?dry_run__exact=0").context["cl"].result_count == 0
    # ... and sync health does not count it as the entity's last success.
    health = staff_client.get(reverse("admin:erpsync_erpconnection_health", args=[memory_erp.connection.pk]))
    assert health.status_code == 200
    call_command("erpsync", "status", stdout=(status := StringIO()))
    assert "never" in status.getvalue()


def test_sync_command_refuses_unknown_connection_and_entity(memory_erp):
    with pytest.raises(CommandError, match="No connection 'nope'"):
        call_command("erpsync", "sync", "nope", "unit")
    with pytest.raises(CommandError, match="Nothing imports 'gizmo'"):
        call_command("erpsync", "sync", "mem", "gizmo", "--no-progress")


def test_sync_all_and_status(memory_erp):
    memory_erp.publish("unit", [ErpUnit("AD", "Adet")])
    memory_erp.publish("product", [ErpProduct("P1", "Kablo", "AD", vat_rate=D("20"))])
    call_command("erpsync", "sync", "mem", "all", "--no-progress", stdout=StringIO())
    assert Product.objects.get().sku == "P1"
    out = StringIO()
    call_command("erpsync", "status", stdout=out)
    assert "product" in out.getvalue() and "last success" in out.getvalue()
    # The lag in whole seconds, as an operator reads it.
    assert re.search(r"product +last success .* lag \d+:\d\d:\d\d  succeeded", out.getvalue()), out.getvalue()


def test_test_command_fails_clearly_for_a_broken_connection(db, tmp_path):
    ErpConnection.objects.create(code="files", name="Files", adapter="file", settings={"root": str(tmp_path / "gone")})
    with pytest.raises(CommandError):
        call_command("erpsync", "test", "files", stdout=StringIO(), stderr=StringIO())
    (tmp_path / "ok").mkdir()
    ErpConnection.objects.create(code="ok", name="Files", adapter="file", settings={"root": str(tmp_path / "ok")})
    call_command("erpsync", "test", "ok", stdout=StringIO())


def test_schedules_are_declared_per_connection_and_installed_idempotently(memory_erp):
    memory_erp.connection.settings = {"schedules": {"stock": 5, "invoice": 0}}
    memory_erp.connection.save()
    plans = {p.name: p for p in planned_schedules()}
    assert plans["erpsync:mem:stock"].minutes == 5 and plans["erpsync:mem:price"].minutes == 15
    assert "erpsync:mem:invoice" not in plans and plans["erpsync:mem:reconcile"].minutes is None
    assert plans["erpsync:outbox"].func == "erpsync.tasks.drain_outbox"
    assert schedules_install()[0] == len(plans)
    assert schedules_install() == (0, 0, 0)
    memory_erp.connection.is_active = False
    memory_erp.connection.save()
    assert schedules_install()[2] == len(plans) - 1
    assert list(Schedule.objects.filter(name__startswith="erpsync:").values_list("name", flat=True)) == [
        "erpsync:outbox"
    ]


def test_health_page_shows_lag_backlog_and_issues_in_constant_queries(memory_erp, staff_client):
    for entity in ("unit", "brand"):
        memory_erp.publish(entity, [])
        sync_import(connection=memory_erp.connection, entity=entity)
    SyncIssue.objects.create(connection=memory_erp.connection, entity="product", code="x", message="broken")
    url = reverse("admin:erpsync_erpconnection_health", args=[memory_erp.connection.pk])
    with CaptureQueriesContext(db) as few:
        response = staff_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "unit" in body and "brand" in body and "<svg" in body
    for entity in ("category", "warehouse", "price_list"):
        memory_erp.publish(entity, [])
        sync_import(connection=memory_erp.connection, entity=entity)
    with CaptureQueriesContext(db) as more:
        staff_client.get(url)
    assert len(more) == len(few)


def test_issue_actions_retry_ignore_and_map(memory_erp, staff_client, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("erpsync.tasks.queue_import", lambda **kw: queued.append(kw))
    product = Product.objects.create(sku="X100", name="Kablo", base_unit=Unit.objects.create(code="AD", name="Adet"))
    issue = SyncIssue.objects.create(
        connection=memory_erp.connection, entity="product", external_id="X-100", code="unknown_product", message="?"
    )
    other = SyncIssue.objects.create(
        connection=memory_erp.connection, entity="stock", external_id="Y", code="c", message="m"
    )
    changelist = reverse("admin:erpsync_syncissue_changelist")
    staff_client.post(changelist, {"action": "ignore_selected", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert other.status == SyncIssue.Status.IGNORED
    response = staff_client.get(reverse("admin:erpsync_syncissue_map", args=[issue.pk]) + "?q=X100")
    assert "X100" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:erpsync_syncissue_map", args=[issue.pk]), {"local_id": product.pk})
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED
    assert ExternalRef.objects.get(entity="product", external_id="X-100").local_id == product.pk
    assert queued == [{"connection_id": memory_erp.connection.pk, "entity": "product"}]
    # A resolved issue is not retried: the action refuses it and nothing is queued.
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(changelist, {"action": "retry_selected", "_selected_action": [issue.pk]})
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED and len(queued) == 1


def test_retry_of_an_import_issue_queues_its_entity(
    memory_erp, staff_client, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("erpsync.tasks.queue_import", lambda **kw: queued.append(kw))
    issue = SyncIssue.objects.create(
        connection=memory_erp.connection, entity="stock", external_id="Y", code="c", message="m"
    )
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:erpsync_syncissue_changelist"), {"action": "retry_selected", "_selected_action": [issue.pk]}
        )
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RETRYING and queued == [
        {"connection_id": memory_erp.connection.pk, "entity": "stock"}
    ]


def test_map_refuses_a_record_bound_elsewhere(memory_erp, superuser):
    from erpsync.issue_actions import sync_issue_map
    from erpsync.issues import IssueRefused

    product = Product.objects.create(sku="X100", name="Kablo", base_unit=Unit.objects.create(code="AD", name="Adet"))
    ExternalRef.objects.create(
        connection=memory_erp.connection, entity="product", local_id=product.pk, external_id="OTHER"
    )
    issue = SyncIssue.objects.create(
        connection=memory_erp.connection, entity="product", external_id="X-100", code="c", message="m"
    )
    with pytest.raises(IssueRefused):
        sync_issue_map(issue=issue, local_id=product.pk, user=superuser)
    with pytest.raises(IssueRefused):
        sync_issue_map(issue=issue, local_id=999999, user=superuser)


def test_outbox_admin_requeue_and_cancel(memory_erp, staff_client):
    job = SyncJob.objects.create(
        connection=memory_erp.connection, kind="order_export", identity_key="order:X", object_id=1, status="dead"
    )
    url = reverse("admin:erpsync_syncjob_changelist")
    staff_client.post(url, {"action": "requeue_selected", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.status == SyncJob.Status.PENDING and job.next_attempt_at <= timezone.now() + timedelta(seconds=1)
    staff_client.post(url, {"action": "cancel_selected", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.status == SyncJob.Status.CANCELLED and "admin@example.com" in job.last_error


def test_scheduled_import_runs_again_when_the_embedded_database_is_locked(memory_erp, monkeypatch):
    monkeypatch.setattr("b2bportal.database.time.sleep", lambda _seconds: None)
    memory_erp.publish("unit", [ErpUnit("AD", "Adet")])
    real, attempts = sync_import, []

    def locked_once(**kwargs):
        attempts.append(kwargs["entity"])
        if len(attempts) == 1:
            raise OperationalError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr("erpsync.tasks.sync_import", locked_once)
    assert tasks.run_import(memory_erp.connection.pk, "unit") == SyncRun.Status.SUCCEEDED
    assert attempts == ["unit", "unit"] and Unit.objects.get().code == "AD"


def test_health_page_shows_the_lag_to_the_minute(memory_erp, staff_client):
    memory_erp.publish("unit", [])
    sync_import(connection=memory_erp.connection, entity="unit")
    finished = timezone.now() - timedelta(hours=2, minutes=5, seconds=7, microseconds=123456)
    SyncRun.objects.filter(entity="unit").update(started_at=finished, finished_at=finished)
    url = reverse("admin:erpsync_erpconnection_health", args=[memory_erp.connection.pk])

    body = staff_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<td>2 h 5 min</td>" in body
    assert not re.search(r"\d:\d\d:\d\d\.\d{6}", body)
