"""Back-in-stock alerts: a dealer user asks to be told when an out-of-stock product can be ordered again, and is
told once — in the portal and by e-mail in their language — when it can.

"Can be ordered again" is the catalogue's own answer for the user's dealer: the product is in the dealer's
catalogue (``selectors.is_visible``: active, visible category, priced when unpriced products are hidden) and
``availability.py`` no longer says out of stock. Stock reaches the portal by several paths (ERP imports,
reservations released, a warehouse made sellable), so a scheduled task (``stock_alerts_check``) looks at the open
alerts in batches instead of each path calling in. The ERP's stock import, the path most returns take, also queues
a check of its products that have open alerts as soon as its transaction commits
(``catalog.stock_alert_tasks.stock_alerts_queue``), so those users are told within moments; the schedule catches
up with the rest, and with a check whose task was lost.

Never twice for one return: the alerts found back are locked (``SKIP LOCKED``, so two checkers share the work),
closed and notified in one transaction, and the notice's key names the alert and the time it was asked for, so a
retried task adds nothing. Asking again after being told opens a new round with a new key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.availability import StockStatus, availability_for, availability_for_products
from catalog.categories import category_tree
from catalog.models import Product, StockAlert
from catalog.pricing import DealerPricing
from catalog.selectors import is_visible
from dealers.access import scoped
from dealers.models import Dealer
from notifications.services import notify

KIND = "stock_back"
BATCH = 500


class StockAlertRefused(Exception):
    """An alert that cannot be set or cancelled; ``message`` says why, for the user."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def stock_alerts_for(dealer_user) -> QuerySet[StockAlert]:
    """The user's own alerts (open ones first, then the ones already told), with their products."""
    return (
        scoped(StockAlert.objects.filter(user=dealer_user.user_id), dealer_user)
        .select_related("product__base_unit")
        .order_by(F("notified_at").desc(nulls_first=True), "-requested_at", "-pk")
    )


def products_with_open_alerts(product_ids: Iterable[int]) -> list[int]:
    """Which of ``product_ids`` someone is waiting for, in id order (one query per 500 ids)."""
    ids = sorted(set(product_ids))
    found: list[int] = []
    for start in range(0, len(ids), BATCH):
        found += (
            StockAlert.objects.filter(product_id__in=ids[start : start + BATCH], notified_at__isnull=True)
            .order_by("product_id")
            .values_list("product_id", flat=True)
            .distinct()
        )
    return found


def open_alert_product_ids(dealer_user, product_ids: Iterable[int]) -> set[int]:
    """Which of ``product_ids`` the user is waiting for (one query)."""
    ids = list(product_ids)
    if not ids:
        return set()
    return set(
        stock_alerts_for(dealer_user)
        .filter(product_id__in=ids, notified_at__isnull=True)
        .values_list("product_id", flat=True)
    )


@transaction.atomic
def stock_alert_subscribe(*, dealer_user, product: Product) -> StockAlert:
    """Ask to be told when ``product`` is back. Refuses a product not in the dealer's catalogue and one that is
    not out of stock now; asking twice keeps one open alert, asking after being told (or for another dealer the
    user has moved to) opens it again."""
    pricing = DealerPricing(dealer_user.dealer)
    if not is_visible(pricing=pricing, product=product):
        raise StockAlertRefused(_("This product is not available to you."))
    if availability_for(product).status != StockStatus.OUT:
        raise StockAlertRefused(_("This product is in stock: you can order it now."))
    now = timezone.now()
    values = {"dealer": dealer_user.dealer, "requested_at": now, "notified_at": None}
    try:
        with transaction.atomic():
            alert, created = StockAlert.objects.get_or_create(user=dealer_user.user, product=product, defaults=values)
    except IntegrityError:  # the same user asked at the same moment in another tab
        alert, created = StockAlert.objects.get(user=dealer_user.user, product=product), False
    if not created and (alert.notified_at is not None or alert.dealer_id != dealer_user.dealer_id):
        alert = StockAlert.objects.select_for_update().get(pk=alert.pk)
        for name, value in values.items():
            setattr(alert, name, value)
        alert.save(update_fields=list(values))
    return alert


@transaction.atomic
def stock_alert_cancel(*, dealer_user, alert_id: int) -> None:
    """Remove one of the user's own alerts; another user's (or a missing one) is refused the same way."""
    deleted, _detail = stock_alerts_for(dealer_user).filter(pk=alert_id).delete()
    if not deleted:
        raise StockAlertRefused(_("This alert is not yours or no longer exists."))


def _back_in_stock(alerts: list[StockAlert]) -> list[int]:
    """The ids of ``alerts`` whose product the alert's dealer can order again (a few queries for the batch)."""
    products = {alert.product_id: alert.product for alert in alerts}
    stock = availability_for_products(products.values())
    available = [alert for alert in alerts if stock[alert.product_id].status != StockStatus.OUT]
    by_dealer: dict[int, list[StockAlert]] = defaultdict(list)
    for alert in available:
        by_dealer[alert.dealer_id].append(alert)
    tree = category_tree()
    back = []
    for alerts_of_dealer in by_dealer.values():
        pricing = DealerPricing(alerts_of_dealer[0].dealer)
        pricing.prime({alert.product_id: alert.product for alert in alerts_of_dealer}.values())
        back += [a.pk for a in alerts_of_dealer if is_visible(pricing=pricing, product=a.product, tree=tree)]
    return back


def _notify_back(alert: StockAlert) -> None:
    product = alert.product
    notify(
        KIND,
        event=f"{alert.pk}:{alert.requested_at.timestamp():.6f}",
        recipients=[alert.user],
        params={"product_id": product.pk, "sku": product.sku, "name": product.name, "name_en": product.name_en},
        url=reverse("catalog:product_detail", args=[product.sku]),
    )


def stock_alerts_check(*, batch: int = BATCH, product_ids: Iterable[int] | None = None) -> int:
    """Tell the users whose product is back, once each, and close their alerts. Looks at the open alerts of
    active users still with their dealer — only those of ``product_ids`` when given — ``batch`` at a time in id
    order. Returns how many were told."""
    told, after = 0, 0
    open_alerts = StockAlert.objects.all()
    if product_ids is not None:
        open_alerts = open_alerts.filter(product_id__in=sorted(set(product_ids)))
    while True:
        alerts = list(
            open_alerts.filter(
                pk__gt=after,
                notified_at__isnull=True,
                user__is_active=True,
                user__dealer_user__is_active=True,
                user__dealer_user__dealer=F("dealer"),
            )
            .exclude(dealer__status=Dealer.Status.INACTIVE)
            .select_related("product__base_unit", "product__category", "dealer__price_list")
            .order_by("pk")[:batch]
        )
        if not alerts:
            return told
        after = alerts[-1].pk
        back = _back_in_stock(alerts)
        if back:
            told += _close_and_notify(back)


@transaction.atomic
def _close_and_notify(alert_ids: list[int]) -> int:
    locked = list(
        StockAlert.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=alert_ids, notified_at__isnull=True)
        .select_related("user", "product")
        .order_by("pk")
    )
    if not locked:
        return 0
    StockAlert.objects.filter(pk__in=[alert.pk for alert in locked]).update(notified_at=timezone.now())
    for alert in locked:
        _notify_back(alert)
    return len(locked)
