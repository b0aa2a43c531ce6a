import pytest

from b2bportal.tests.assertions import refused
from erpsync.models import ErpConnection, ExternalRef, SyncIssue, SyncJob, ValueMap

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection():
    return ErpConnection.objects.create(code="main", name="Main ERP", adapter="file", is_default=True)


def test_only_one_default_connection(connection):
    ErpConnection.objects.create(code="second", name="Second", adapter="file")
    refused(lambda: ErpConnection.objects.create(code="third", name="Third", adapter="file", is_default=True))


def test_external_ref_unique_both_ways(connection):
    ExternalRef.objects.create(connection=connection, entity="product", local_id=1, external_id="A")
    refused(lambda: ExternalRef.objects.create(connection=connection, entity="product", local_id=2, external_id="A"))
    refused(lambda: ExternalRef.objects.create(connection=connection, entity="product", local_id=1, external_id="B"))
    ExternalRef.objects.create(connection=connection, entity="customer", local_id=1, external_id="A")


def test_value_map_one_local_value_per_external_code(connection):
    ValueMap.objects.create(connection=connection, kind="unit", external_value="AD", local_value="ADET")
    refused(
        lambda: ValueMap.objects.create(connection=connection, kind="unit", external_value="AD", local_value="KOLI")
    )


def test_outbox_identity_unique_only_among_unfinished_jobs(connection):
    def job(status=SyncJob.Status.PENDING):
        return SyncJob.objects.create(
            connection=connection,
            kind=SyncJob.Kind.ORDER_EXPORT,
            identity_key="order:B2B-1",
            object_id=1,
            status=status,
        )

    first = job()
    for status in (SyncJob.Status.PENDING, SyncJob.Status.RUNNING, SyncJob.Status.RETRYING, SyncJob.Status.DEAD):
        refused(lambda status=status: job(status))
    first.status = SyncJob.Status.SUCCEEDED
    first.save()
    job()  # a finished job does not block a new one (e.g. a later change of the same order)


def test_one_open_issue_per_record_and_reason(connection):
    def issue(status="open"):
        return SyncIssue.objects.create(
            connection=connection, entity="product", external_id="X1", code="unknown_unit", message="m", status=status
        )

    first = issue()
    refused(issue)
    first.status = SyncIssue.Status.RESOLVED
    first.save()
    issue()


def test_max_attempts_must_be_positive(connection):
    refused(
        lambda: SyncJob.objects.create(
            connection=connection, kind="order_export", identity_key="k", object_id=1, max_attempts=0
        )
    )
