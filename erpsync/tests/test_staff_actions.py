"""Staff actions on the outbox and the issue queue are in each record's admin history with the acting user."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from erpsync.models import ErpConnection, SyncJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(tmp_path):
    connection = ErpConnection.objects.create(code="files", name="Files", adapter="file", is_default=True,
                                              settings={"root": str(tmp_path)})  # fmt: skip
    statuses = (SyncJob.Status.DEAD, SyncJob.Status.SUCCEEDED, SyncJob.Status.DEAD)
    return [
        SyncJob.objects.create(
            connection=connection,
            kind=SyncJob.Kind.PAYMENT_EXPORT,
            identity_key=f"payment:{n}",
            object_id=n,
            status=status,
            attempts=8,
        )
        for n, status in enumerate(statuses, start=1)
    ]


def history(job) -> list[tuple[str, str]]:
    entries = LogEntry.objects.filter(content_type__model="syncjob", object_id=str(job.pk)).order_by("pk")
    return [(entry.user.email, entry.change_message) for entry in entries]


def test_requeue_and_cancel_are_in_each_jobs_history_with_the_user(staff_client, superuser, jobs):
    dead, delivered, other = jobs
    url = reverse("admin:erpsync_syncjob_changelist")
    staff_client.post(url, {"action": "requeue_selected", "_selected_action": [dead.pk, delivered.pk]})
    staff_client.post(url, {"action": "cancel_selected", "_selected_action": [other.pk]})
    assert history(dead) == [(superuser.email, "Sent again by staff.")]
    assert history(other) == [(superuser.email, "Cancelled by staff.")]
    assert history(delivered) == []  # refused: a delivered job is not sent again, and nothing is recorded
    page = staff_client.get(reverse("admin:erpsync_syncjob_history", args=[dead.pk]))
    assert "Sent again by staff." in page.content.decode()
