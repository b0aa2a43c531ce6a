"""The steps every ERP's end-to-end test takes on the portal's database: the connection with its tax code map, the
first import, a dealer's order placed and approved, the outbox drained across a lost answer, and the order's
documents read back. Each ERP's test keeps what is its own: the simulator, the settings, the fault it sets and what
it checks in the ERP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.tests.factories import UserFactory
from dealers.models import AccountEntry
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncJob, SyncRun, ValueMap
from erpsync.outbox import outbox_drain
from orders.models import Order
from orders.services import cart_line_add
from orders.services.approval import order_staff_approve
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of, place

SAME_RATES = {rate: rate for rate in ("1", "10", "20")}
# Every entity of an ERP that has them all, in the order a first import takes them.
FULL_IMPORT = (
    "unit",
    "category",
    "brand",
    "warehouse",
    "price_list",
    "product",
    "stock",
    "price",
    "customer",
    "balance",
)
NOT_THE_PORTALS = frozenset({"unknown_order", "unknown_customer"})


def credentials(monkeypatch, credentials_ref: str, **values: str) -> None:
    """The connection's credentials in the environment, as in production: ``<credentials_ref>_<KEY>``."""
    for key, value in values.items():
        monkeypatch.setenv(f"{credentials_ref}_{key}", value)


def default_connection(adapter: str, *, code: str, name: str, credentials_ref: str, settings: dict,
                       tax_codes: dict[str, str] = SAME_RATES) -> ErpConnection:  # fmt: skip
    """The default connection to the ERP and its tax code map (the ERP's code → the portal's rate)."""
    connection = ErpConnection.objects.create(
        code=code, name=name, adapter=adapter, is_default=True, credentials_ref=credentials_ref, settings=settings
    )
    for external, local in tax_codes.items():
        ValueMap.objects.create(
            connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value=external, local_value=local
        )
    return connection


def import_all(connection, entities) -> dict[str, SyncRun]:
    """A full import of each entity, in the order given."""
    return {entity: sync_import(connection=connection, entity=entity, full=True) for entity in entities}


def refused(runs: dict[str, SyncRun]) -> dict[str, list[str]]:
    """The messages of the runs that did not fully succeed, by entity."""
    return {
        entity: [i.message for i in run.issues.all()]
        for entity, run in runs.items()
        if run.status != SyncRun.Status.SUCCEEDED
    }


def due_now(job: SyncJob | str) -> None:
    """Make the job (or every job of a kind) due for its next attempt."""
    jobs = SyncJob.objects.filter(kind=job) if isinstance(job, str) else SyncJob.objects.filter(pk=job.pk)
    jobs.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def approved_order(dealer, product, quantity, *, note: str = "", by_staff: bool = True):
    """The dealer's buyer orders ``quantity`` of ``product``; staff (or, without ``by_staff``, the system) approve
    the order when the rules held it. The approved order and the buyer."""
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=Decimal(quantity))
    order = place(buyer)
    if order.status != S.APPROVED:
        actor = UserFactory(is_staff=True, is_superuser=True) if by_staff else None
        order = order_staff_approve(order=order, actor=actor, note=note)
    assert order.status == S.APPROVED
    return order, buyer


def drain_across_lost_answer(connection, kind: str = SyncJob.Kind.ORDER_EXPORT) -> SyncJob:
    """Drain the outbox while the ERP's answer to the first write is lost (the test sets the fault): the job waits
    for a retry, and the retry finds what the ERP made instead of making another. The job, succeeded."""
    outbox_drain(connection=connection)
    job = SyncJob.objects.get(kind=kind)
    assert job.status == SyncJob.Status.RETRYING, job.last_error
    due_now(job)
    outbox_drain(connection=connection)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED, job.last_error
    return job


def sent_to_erp(order) -> None:
    order.refresh_from_db()
    assert order.status == S.SENT_TO_ERP


def read_back(connection, entities, *, allowed: frozenset[str] = NOT_THE_PORTALS) -> None:
    """A full import of each entity; the only issues allowed are ``allowed`` (by default the ERP's own orders and
    customers, which are not the portal's)."""
    for entity in entities:
        run = sync_import(connection=connection, entity=entity, full=True)
        assert {issue.code for issue in run.issues.all()} <= allowed, (
            entity,
            [i.message for i in run.issues.all()],
        )


def on_statement_once(order, dealer, document_number: str) -> None:
    """The order's invoice is on the dealer's statement for the order's total, and the order is still one order."""
    entry = AccountEntry.objects.get(dealer=dealer, document_number=document_number)
    assert entry.amount == order.total_gross
    assert Order.objects.filter(number=order.number).count() == 1
