import random
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection as db
from django.utils import timezone

from erpsync.adapters.base import ErpOrderAck
from erpsync.models import ExternalRef, SyncIssue, SyncJob
from erpsync.outbox import (
    OutboxRefused,
    backoff,
    outbox_cancel,
    outbox_claim,
    outbox_claim_one,
    outbox_drain,
    outbox_enqueue,
    outbox_requeue,
    outbox_run,
)
from orders.models import Order
from orders.services import cart_line_add, order_transition
from orders.services.approval import order_dealer_cancel
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of, make_shop, place

pytestmark = pytest.mark.django_db
D = Decimal


def approved_order():
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    order = place(buyer)
    assert order.status == S.APPROVED
    return order, buyer


def test_approval_writes_the_export_job_in_its_transaction(memory_erp):
    order, _buyer = approved_order()
    job = SyncJob.objects.get()
    assert (job.kind, job.identity_key, job.object_id, job.status) == (
        SyncJob.Kind.ORDER_EXPORT,
        f"order:{order.number}",
        order.pk,
        SyncJob.Status.PENDING,
    )
    # Approving again (e.g. a re-approval path) queues nothing more.
    assert outbox_enqueue(kind=SyncJob.Kind.ORDER_EXPORT, identity_key=job.identity_key, object_id=order.pk) == []


def test_no_default_connection_no_job():
    approved_order()
    assert not SyncJob.objects.exists()


def test_drain_exports_binds_and_moves_the_order(memory_erp):
    order, _ = approved_order()
    assert outbox_drain(connection=memory_erp.connection) == 1
    job = SyncJob.objects.get()
    order.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED and job.attempts == 1 and job.external_id == "1"
    assert (order.status, order.erp_document_number) == (S.SENT_TO_ERP, "SO-1")
    assert ExternalRef.objects.get(entity="order").local_id == order.pk
    assert memory_erp.pushes == [order.number]


def test_timeout_after_the_erp_applied_binds_on_retry(memory_erp):
    order, _ = approved_order()
    memory_erp.failures.append("timeout_after_apply")
    outbox_drain(connection=memory_erp.connection)
    job = SyncJob.objects.get()
    assert job.status == SyncJob.Status.RETRYING and "look" in job.last_error
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    outbox_drain(connection=memory_erp.connection)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert memory_erp.pushes == [order.number]  # bound, not created twice


def test_permanent_refusal_needs_a_human_with_an_issue_and_requeue(memory_erp, superuser):
    order, _ = approved_order()
    memory_erp.failures.append("rejected")
    outbox_drain(connection=memory_erp.connection)
    job = SyncJob.objects.get()
    assert job.status == SyncJob.Status.DEAD
    issue = SyncIssue.objects.get()
    assert (issue.code, issue.external_id, issue.job_id) == ("-5002", f"order:{order.number}", job.pk)
    outbox_requeue(job=job, user=superuser)
    outbox_drain(connection=memory_erp.connection)
    job.refresh_from_db()
    issue.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED and issue.status == SyncIssue.Status.RESOLVED
    with pytest.raises(OutboxRefused):
        outbox_requeue(job=job, user=superuser)


def test_attempts_run_out_into_the_exception_queue(memory_erp):
    approved_order()
    SyncJob.objects.update(max_attempts=2)
    for _ in range(2):
        memory_erp.failures.append("unavailable")
        SyncJob.objects.update(next_attempt_at=timezone.now())
        outbox_drain(connection=memory_erp.connection)
    job = SyncJob.objects.get()
    assert job.status == SyncJob.Status.DEAD and job.attempts == 2
    assert SyncIssue.objects.get().code == "attempts_exhausted"


def test_backoff_grows_with_jitter_and_honours_retry_after():
    rng = random.Random(1)
    waits = [backoff(SyncJob.Kind.ORDER_EXPORT, n, rng=rng) for n in range(1, 12)]
    assert 22 <= waits[0] <= 38 and waits[-1] <= 3600 * 1.25
    assert waits[3] > waits[0]
    assert backoff(SyncJob.Kind.ORDER_EXPORT, 3, retry_after=30) == 30


def test_breaker_opens_after_failures_in_a_row_and_probes_after_cool_down(memory_erp, settings):
    settings.ERPSYNC_OUTBOX_BREAKER_FAILURES = 2
    for _ in range(3):
        approved_order()
    memory_erp.failures.extend(["unavailable", "unavailable"])
    outbox_drain(connection=memory_erp.connection)
    connection = memory_erp.connection
    connection.refresh_from_db()
    assert connection.breaker_open_until is not None and connection.breaker_failures == 2
    SyncJob.objects.update(next_attempt_at=timezone.now())
    assert outbox_claim(connection=connection) == []  # open: the ERP is not hammered
    connection.breaker_open_until = timezone.now() - timedelta(seconds=1)
    connection.save()
    assert len(outbox_claim(connection=connection)) == 1  # half-open: one probe
    SyncJob.objects.filter(status="running").update(status="retrying")
    outbox_drain(connection=connection)
    connection.refresh_from_db()
    assert connection.breaker_failures == 0 and connection.breaker_open_until is None
    numbers = list(Order.objects.order_by("pk").values_list("number", flat=True))
    assert memory_erp.pushes == numbers  # the backlog drained in order


def test_a_cancel_never_overtakes_the_export_of_its_order(memory_erp):
    order, buyer = approved_order()
    order_transition(order=order, to_status=S.SENT_TO_ERP)
    order_dealer_cancel(order=order, dealer_user=buyer)
    cancel = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_CANCEL)
    assert outbox_claim_one(job_id=cancel.pk) is None  # the export is older and unfinished
    memory_erp.orders[order.number] = ErpOrderAck(reference=order.number, document_id="77")  # the ERP has it
    outbox_drain(connection=memory_erp.connection)
    export = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT)
    cancel.refresh_from_db()
    # The ERP had it: the export binds it (nothing created), then the cancellation follows.
    assert export.status == SyncJob.Status.SUCCEEDED and cancel.status == SyncJob.Status.SUCCEEDED
    assert export.finished_at <= cancel.finished_at
    assert memory_erp.cancels == [order.number] and memory_erp.pushes == []


def test_an_order_cancelled_before_it_left_is_not_exported(memory_erp):
    order, buyer = approved_order()
    order_dealer_cancel(order=order, dealer_user=buyer)
    outbox_drain(connection=memory_erp.connection)
    assert SyncJob.objects.get().status == SyncJob.Status.CANCELLED and memory_erp.pushes == []


def test_staff_cancel_stops_a_dead_job(memory_erp, superuser):
    approved_order()
    memory_erp.failures.append("rejected")
    outbox_drain(connection=memory_erp.connection)
    job = outbox_cancel(job=SyncJob.objects.get(), user=superuser, reason="Entered by hand.")
    assert job.status == SyncJob.Status.CANCELLED and SyncIssue.objects.get().status == SyncIssue.Status.IGNORED
    with pytest.raises(OutboxRefused):
        outbox_cancel(job=job, user=superuser)


@pytest.mark.django_db(transaction=True)
def test_same_job_delivered_twice_concurrently_makes_one_erp_document(memory_erp, monkeypatch):
    monkeypatch.setattr("erpsync.enqueue._wake", lambda connection_id: None)  # both deliveries come from here
    order, _ = approved_order()
    job = SyncJob.objects.get()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            claimed = outbox_claim_one(job_id=job.pk)
            if claimed is not None:
                outbox_run(job=claimed)
            results.append(claimed is not None)
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    assert memory_erp.pushes == [order.number]
    assert SyncJob.objects.get().status == SyncJob.Status.SUCCEEDED


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(memory_erp):
    approved_order()
    [job] = outbox_claim(connection=memory_erp.connection)
    assert outbox_claim(connection=memory_erp.connection) == []
    SyncJob.objects.filter(pk=job.pk).update(locked_at=timezone.now() - timedelta(hours=1))
    [again] = outbox_claim(connection=memory_erp.connection)
    assert again.pk == job.pk and again.attempts == 2


def test_concurrency_cap_per_connection(memory_erp, settings):
    settings.ERPSYNC_OUTBOX_CONCURRENCY = 1
    approved_order()
    approved_order()
    [first] = outbox_claim(connection=memory_erp.connection)
    assert outbox_claim(connection=memory_erp.connection) == []  # one is running: the cap is reached
    outbox_run(job=first)
    assert len(outbox_claim(connection=memory_erp.connection)) == 1


def test_cancel_while_a_timed_out_export_waits_still_reaches_the_erp(memory_erp):
    order, buyer = approved_order()
    memory_erp.failures.append("timeout_after_apply")
    outbox_drain(connection=memory_erp.connection)  # the ERP took it; the portal did not hear back
    order.refresh_from_db()
    assert order.status == S.APPROVED and memory_erp.pushes == [order.number]
    order_dealer_cancel(order=order, dealer_user=buyer)
    SyncJob.objects.update(next_attempt_at=timezone.now())
    outbox_drain(connection=memory_erp.connection)
    assert memory_erp.cancels == [order.number] and memory_erp.pushes == [order.number]
    assert set(SyncJob.objects.values_list("kind", "status")) == {
        (SyncJob.Kind.ORDER_EXPORT, SyncJob.Status.SUCCEEDED),
        (SyncJob.Kind.ORDER_CANCEL, SyncJob.Status.SUCCEEDED),
    }


def test_a_worker_that_outlived_its_lease_does_not_overwrite_the_new_outcome(memory_erp):
    approved_order()
    [stale] = outbox_claim(connection=memory_erp.connection)
    SyncJob.objects.filter(pk=stale.pk).update(locked_at=timezone.now() - timedelta(hours=1))
    [fresh] = outbox_claim(connection=memory_erp.connection)
    outbox_run(job=fresh)
    stale.locked_at = timezone.now() - timedelta(hours=1)
    memory_erp.failures.append("rejected")
    outbox_run(job=stale)  # its refusal comes too late
    job = SyncJob.objects.get()
    assert job.status == SyncJob.Status.SUCCEEDED and not SyncIssue.objects.exists()


def test_order_record_uses_erp_codes_in_constant_queries(memory_erp):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from catalog.tests.factories import PriceListItemFactory, ProductFactory, StockLevelFactory
    from erpsync.exporters import order_record
    from erpsync.models import ValueMap

    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    one = place(buyer)
    for _ in range(3):
        other = ProductFactory(min_order_qty=D("1"), order_multiple=D("1"), vat_rate=D("20"))
        PriceListItemFactory(price_list=dealer.price_list, product=other, price=D("5"))
        StockLevelFactory(product=other, on_hand=D("10"))
        cart_line_add(dealer_user=buyer, product=other, quantity=D("1"))
    many = place(buyer)
    conn = memory_erp.connection
    ExternalRef.objects.create(connection=conn, entity="product", local_id=product.pk, external_id="X-1")
    unit = one.lines.get().unit_code
    ValueMap.objects.create(connection=memory_erp.connection, kind="unit", external_value="ADET", local_value=unit)
    with CaptureQueriesContext(db) as few:
        record = order_record(Order.objects.get(pk=one.pk), memory_erp.connection)
    assert (record.lines[0].product_code, record.lines[0].unit) == ("X-1", "ADET")
    with CaptureQueriesContext(db) as more:
        assert len(order_record(Order.objects.get(pk=many.pk), memory_erp.connection).lines) == 3
    assert len(more) == len(few)


def test_order_record_carries_list_price_and_discount_of_a_percentage_agreement(memory_erp):
    from catalog.models import DealerAgreement
    from erpsync.exporters import order_record

    dealer, product = make_shop(price="80")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    plain = place(buyer)
    DealerAgreement.objects.create(dealer=dealer, product=product, kind="discount", value=D("12.5"))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    discounted = place(buyer)

    (plain_line,) = order_record(plain, memory_erp.connection).lines
    (line,) = order_record(discounted, memory_erp.connection).lines
    assert (plain_line.list_price, plain_line.discount_percent, plain_line.unit_price) == (None, 0, D("80"))
    assert (line.list_price, line.discount_percent, line.unit_price) == (D("80"), D("12.5"), D("70"))


@pytest.mark.django_db(transaction=True)
def test_the_cap_holds_when_workers_claim_at_the_same_moment(memory_erp, settings):
    from django.db import connections

    settings.ERPSYNC_OUTBOX_CONCURRENCY = 1
    for n in range(4):  # written directly: committed outbox rows would wake the (synchronous) test worker at once
        SyncJob.objects.create(connection=memory_erp.connection, kind=SyncJob.Kind.ORDER_EXPORT,
                               identity_key=f"order:T-{n}", object_id=n, next_attempt_at=timezone.now())  # fmt: skip
    barrier = threading.Barrier(4)
    claimed: list[int] = []
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            barrier.wait()
            claimed.extend(job.pk for job in outbox_claim(connection=memory_erp.connection))
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(claimed) == 1
    assert SyncJob.objects.filter(status=SyncJob.Status.RUNNING).count() == 1
