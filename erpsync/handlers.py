"""erpsync's answers to the domain apps' hooks, connected at start-up (``ErpsyncConfig.ready``).

The domain apps never import erpsync: they send hooks (``orders.hooks``, ``payments.hooks``, ``dealers.hooks``)
inside their transactions, and these handlers write the outbox rows in that same transaction — so an approved
order, a collection or a refund reaches the ERP exactly when the change commits.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_delete, post_save

from catalog import hooks as catalog_hooks
from dealers import hooks as dealer_hooks
from erpsync import live
from erpsync.adapters import settings_for
from erpsync.binders import to_external
from erpsync.enqueue import export_connections
from erpsync.exporters import quote_reference
from erpsync.models import ErpConnection, ExternalRef, SyncJob
from erpsync.outbox import outbox_enqueue, outbox_enqueue_many
from orders import hooks as order_hooks
from orders.models import Order
from orders.status import OrderStatus
from payments import hooks as payment_hooks

log = logging.getLogger(__name__)


def order_export_queue(*, order: Order) -> None:
    """An approved order goes to the ERP (once, whatever how often it is approved)."""
    outbox_enqueue(
        kind=SyncJob.Kind.ORDER_EXPORT,
        identity_key=f"order:{order.number}",
        object_id=order.pk,
        payload={"number": order.number},
    )


def order_export_under_way(order: Order) -> bool:
    """Whether the order's export has started: a retry may follow an attempt the ERP applied, so the ERP may hold
    the order although the portal has not heard back."""
    return SyncJob.objects.filter(
        kind=SyncJob.Kind.ORDER_EXPORT, identity_key=f"order:{order.number}", attempts__gt=0
    ).exists()


def order_cancellation_queue(*, order: Order, reason: str = "") -> None:
    """A cancelled order the ERP holds, or may hold, is cancelled there too; a second cancel queues nothing."""
    if order.status not in (OrderStatus.SENT_TO_ERP, OrderStatus.CONFIRMED) and not order_export_under_way(order):
        return
    outbox_enqueue(
        kind=SyncJob.Kind.ORDER_CANCEL,
        identity_key=f"order:{order.number}",
        object_id=order.pk,
        payload={"number": order.number, "erp_document_number": order.erp_document_number, "reason": reason},
    )


def quote_export_queue(*, quote, version) -> None:
    """A sent quote version goes to the ERP as a quote document where the connection takes quotes and the site
    sends them (``erpsync.enqueue.kinds_taken``)."""
    outbox_enqueue(
        kind=SyncJob.Kind.QUOTE_EXPORT,
        identity_key=f"quote:{quote_reference(quote.number, version.number)}",
        object_id=quote.pk,
        payload={"number": quote.number, "version": version.number},
    )


def quote_cancellation_queue(*, quote, reason: str = "") -> None:
    """A cancelled quote whose last sent version was queued for the ERP is cancelled there too."""
    exported = (
        SyncJob.objects.filter(kind=SyncJob.Kind.QUOTE_EXPORT, object_id=quote.pk, identity_key__startswith="quote:")
        .order_by("-pk")
        .first()
    )
    if exported is None:
        return
    reference = exported.identity_key.removeprefix("quote:")
    outbox_enqueue(
        kind=SyncJob.Kind.QUOTE_CANCEL,
        identity_key=f"quote:{reference}",
        object_id=quote.pk,
        payload={"number": quote.number, "reference": reference, "reason": reason},
    )


def ship_to_export_queue(*, address) -> None:
    """An approved delivery address goes to the ERP as a ship-to address of the dealer, once."""
    outbox_enqueue(
        kind=SyncJob.Kind.SHIP_TO_EXPORT,
        identity_key=f"address:{address.pk}",
        object_id=address.pk,
        payload={"dealer_id": address.dealer_id},
    )


def ship_to_offered() -> bool:
    """Whether the default connection takes ship-to addresses (``Capability.SHIP_TO``)."""
    return bool(export_connections(SyncJob.Kind.SHIP_TO_EXPORT))


def customer_export_queue(*, dealer) -> None:
    """A dealer confirmed by staff goes to the ERP as a new customer account, once; not when the connection's ERP
    knows the dealer already (bound by an import)."""
    for connection in export_connections(SyncJob.Kind.CUSTOMER_EXPORT):
        if to_external(connection, "customer", dealer.pk) is not None:
            return
    outbox_enqueue(
        kind=SyncJob.Kind.CUSTOMER_EXPORT,
        identity_key=f"dealer:{dealer.pk}",
        object_id=dealer.pk,
        payload={"code": dealer.code},
    )


def customer_export_offered() -> bool:
    """Whether the default connection creates new customer accounts (``Capability.CUSTOMER_PUSH``)."""
    return bool(export_connections(SyncJob.Kind.CUSTOMER_EXPORT))


def default_stock_rule() -> str | None:
    """The stock shortfall rule the default connection chooses in its settings (``stock_shortfall``), if any."""
    connection = ErpConnection.objects.filter(is_default=True, is_active=True).only("adapter", "settings").first()
    if connection is None:
        return None
    try:
        return settings_for(connection).stock_shortfall
    except ImproperlyConfigured:  # an order is not refused over a setting the checks report
        log.warning("The stock_shortfall of connection %s is not a known action; the site's rule applies.",
                    connection.code)  # fmt: skip
        return None


def collections_queue(*, collections: list[tuple[str, int, dict]], fresh: bool) -> None:
    """Receipts on the dealers' accounts; ``fresh`` keys are new, so they go in with one bulk write."""
    if fresh:
        outbox_enqueue_many(kind=SyncJob.Kind.PAYMENT_EXPORT, items=collections)
        return
    for key, object_id, payload in collections:
        outbox_enqueue(kind=SyncJob.Kind.PAYMENT_EXPORT, identity_key=key, object_id=object_id, payload=payload)


def refund_queue(*, identity_key: str, object_id: int, payload: dict) -> None:
    outbox_enqueue(kind=SyncJob.Kind.REFUND_EXPORT, identity_key=identity_key, object_id=object_id, payload=payload)


def erp_bound_ids(*, entity: str, ids) -> set[int]:
    """The ids among ``ids`` that a connection's sync has bound for ``entity`` (the ERP owns them)."""
    return set(ExternalRef.objects.filter(entity=entity, local_id__in=list(ids)).values_list("local_id", flat=True))


def connect() -> None:
    order_hooks.order_approved.connect(order_export_queue)
    order_hooks.order_cancelling.connect(order_cancellation_queue)
    order_hooks.erp_stock_rule.connect(default_stock_rule)
    order_hooks.quote_sent.connect(quote_export_queue)
    order_hooks.quote_cancelling.connect(quote_cancellation_queue)
    payment_hooks.collections_recorded.connect(collections_queue)
    payment_hooks.refund_made.connect(refund_queue)
    dealer_hooks.address_approved.connect(ship_to_export_queue)
    dealer_hooks.ship_to_offered.connect(ship_to_offered)
    dealer_hooks.dealer_confirmed.connect(customer_export_queue)
    dealer_hooks.customer_export_offered.connect(customer_export_offered)
    dealer_hooks.live_balance_offered.connect(live.live_balance_offered)
    dealer_hooks.live_balance_refresh.connect(live.dealer_balance_refresh)
    dealer_hooks.live_risk_check.connect(live.dealer_risk_check)
    catalog_hooks.live_stock_refresh.connect(live.stock_refresh)
    post_save.connect(live.forget_stock_connection, sender=ErpConnection, dispatch_uid="erpsync-live-stock-saved")
    post_delete.connect(live.forget_stock_connection, sender=ErpConnection, dispatch_uid="erpsync-live-stock-deleted")
    catalog_hooks.erp_bound.connect(erp_bound_ids)
