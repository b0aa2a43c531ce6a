"""Live questions to the ERP asked from a dealer's page: the balance and risk now, the stock of a cart now.

Reached from the dealer's account page through ``dealers.hooks`` (``live_balance_offered``,
``live_balance_refresh``, ``live_risk_check``) and from every add to the cart, checkout and placement through
``catalog.hooks`` (``live_stock_refresh``), which ``erpsync`` answers at start-up: the pages never open an
adapter or an ERP database themselves.

Where a connection has read-only SQL checks (``erpsync.sqlchecks``: ``live_stock_source`` / ``live_risk_source``
``sql``), they are asked first; live stock then falls back to the adapter's live call, and both to the synced
figures. Live figures are stored like synced ones, with their *as of* time (an older answer never overwrites a
newer figure), so stock and credit are still decided in one place each (``catalog.availability``,
``dealers.credit``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from b2bportal.live import Freshness
from catalog.models import Product, StockLevel, Warehouse
from dealers.hooks import NO_LIVE_BALANCE, RefreshRefused
from dealers.models import Dealer
from erpsync.adapters import adapter_classes, adapter_for, capabilities_for
from erpsync.adapters.base import Capability, ErpError, ErpStock
from erpsync.binders import bindings, to_external_many
from erpsync.models import Entity, ErpConnection, SyncRun, ValueMap
from erpsync.sqlchecks import SqlCheckSettings
from erpsync.sqlchecks.checks import RiskAnswer, SqlCheckFailed, SqlCheckOff, run_risk_check, run_stock_check

logger = logging.getLogger(__name__)
LIVE_REFRESH_SECONDS = 60
# "No connection offers live stock", remembered until a connection changes (and at most this long).
NO_LIVE_STOCK_KEY = "erpsync:no-live-stock"
NO_LIVE_STOCK_SECONDS = 300
ZERO = Decimal("0")


def balance_connection(dealer: Dealer) -> tuple[ErpConnection, str] | None:
    """The ERP connection that can tell this dealer's balance live, with the dealer's code in it, or None: the
    connection the dealer was imported through, else the default one, if its adapter offers a live balance (or
    it checks risk with a SQL statement). Kept on the dealer object: one page asks more than once."""
    if not hasattr(dealer, "_erp_balance_connection"):
        dealer._erp_balance_connection = _balance_connection(dealer)
    return dealer._erp_balance_connection


def _balance_connection(dealer: Dealer) -> tuple[ErpConnection, str] | None:
    ref = (
        bindings(Entity.CUSTOMER).filter(local_id=dealer.pk, connection__is_active=True).select_related("connection")
    ).first()
    if ref is not None:
        connection, code = ref.connection, ref.external_id
    else:
        connection = ErpConnection.objects.filter(is_active=True, is_default=True).first()
        code = dealer.code
    if connection is None:
        return None
    if _risk_by_sql(connection):
        return connection, code
    if Capability.LIVE_BALANCE not in capabilities_for(connection):
        return None
    return connection, code


def _sql_options(connection: ErpConnection) -> SqlCheckSettings | None:
    options, problems = SqlCheckSettings.read(
        connection.settings or {}, context=adapter_classes().get(connection.adapter)
    )
    return None if any(not p.warning for p in problems) else options


def _risk_by_sql(connection: ErpConnection) -> bool:
    options = _sql_options(connection)
    return options is not None and options.live_risk_source == "sql"


def live_balance_offered(*, dealer: Dealer) -> bool:
    return balance_connection(dealer) is not None


def dealer_balance_refresh(*, dealer: Dealer) -> Dealer:
    """Ask the ERP for the dealer's balance now and store it with its *as of* time. At most once a minute per
    dealer; an ERP that does not answer, or answers in another currency, leaves the stored figures as they were
    and raises ``RefreshRefused``; an older answer never overwrites a newer figure the sync stored meanwhile. Each
    question to the ERP is a run in the run log (mode "live"), failed ones with the reason."""
    found = balance_connection(dealer)
    if found is None:
        raise RefreshRefused(NO_LIVE_BALANCE)
    connection, code = found
    if not cache.add(f"dealer-balance-refresh:{dealer.pk}", 1, LIVE_REFRESH_SECONDS):
        raise RefreshRefused(_("The figures were refreshed less than a minute ago."))
    run = SyncRun.objects.create(
        connection=connection, entity=Entity.BALANCE, mode=SyncRun.Mode.LIVE, summary={"dealer": dealer.code}
    )
    try:
        if _risk_by_sql(connection):
            record = run_risk_check(connection, code)
        else:
            with adapter_for(connection) as adapter:
                if not adapter.supports(Capability.LIVE_BALANCE):
                    _run_end(run, SyncRun.Status.FAILED, error="The adapter offers no live balance.")
                    raise RefreshRefused(NO_LIVE_BALANCE)
                record = adapter.live_balance(code)
    except (ErpError, OSError, SqlCheckFailed) as exc:
        logger.warning("Live balance of dealer %s from %s failed: %s", dealer.code, connection.code, exc)
        _run_end(run, SyncRun.Status.FAILED, error=str(exc)[:2000])
        raise RefreshRefused(_("The ERP did not answer; the figures shown are the last ones it sent.")) from exc
    if record.currency and record.currency != dealer.currency:
        logger.warning(
            "Live balance of dealer %s came in %s, the account is in %s", dealer.code, record.currency, dealer.currency
        )
        _run_end(
            run, SyncRun.Status.FAILED, error=f"Answered in {record.currency}, the account is in {dealer.currency}."
        )
        raise RefreshRefused(_("The ERP answered in another currency; the figures shown are the last ones it sent."))
    changed = _balance_store(dealer, record)
    _run_end(run, SyncRun.Status.SUCCEEDED, updated=changed, unchanged=1 - changed)
    dealer.refresh_from_db()
    return dealer


def _balance_store(dealer: Dealer, record) -> int:
    """Store a live balance (an adapter's ``live_balance`` or a ``RiskAnswer``) on the dealer; 1 when stored.
    An older answer never overwrites a newer figure the sync stored meanwhile."""
    as_of = record.as_of or timezone.now()
    updates = {"erp_balance": record.balance, "erp_balance_as_of": as_of, "updated_at": timezone.now()}
    open_orders = record.exposure_in_erp if isinstance(record, RiskAnswer) else record.open_orders
    if open_orders is not None and open_orders >= 0:
        updates.update(erp_open_orders=open_orders, erp_open_orders_as_of=as_of)
    changed = (
        Dealer.objects.filter(pk=dealer.pk)
        .filter(Q(erp_balance_as_of__isnull=True) | Q(erp_balance_as_of__lte=as_of))
        .update(**updates)
    )
    limit = getattr(record, "credit_limit", None)
    if limit is not None and limit >= 0:
        Dealer.objects.filter(pk=dealer.pk).filter(
            Q(credit_limit_as_of__isnull=True) | Q(credit_limit_as_of__lte=as_of)
        ).update(credit_limit=limit, credit_limit_as_of=as_of)
    return changed


def dealer_risk_check(*, dealer: Dealer) -> Freshness | None:
    """The dealer's balance and risk read now with the connection's risk statement (``live_risk_source``
    ``sql``), stored on the dealer; None when the connection does not check risk live. The statement is only
    ever run with this dealer's own customer code (``balance_connection``). A failure, or an answer in another
    currency, leaves the synced figures (the failure is in the run log)."""
    found = balance_connection(dealer)
    if found is None or not _risk_by_sql(found[0]):
        return None
    connection, code = found
    try:
        answer = run_risk_check(connection, code)
    except SqlCheckOff as exc:
        return Freshness(live=False, reason=str(exc))
    except SqlCheckFailed as exc:
        return Freshness(live=False, reason=str(exc))
    if answer.currency and answer.currency != dealer.currency:
        reason = f"Answered in {answer.currency}, the account is in {dealer.currency}."
        logger.warning("Live risk of dealer %s from %s: %s", dealer.code, connection.code, reason)
        return Freshness(live=False, reason=reason)
    _balance_store(dealer, answer)
    dealer.refresh_from_db()
    return Freshness(live=True, as_of=answer.as_of, source="sql")


# --- Live stock -------------------------------------------------------------------------------------------------


def stock_connection() -> tuple[ErpConnection, SqlCheckSettings] | None:
    """The default connection and its SQL check settings, when it offers live stock (``live_stock_source``).

    That no connection offers it is remembered (``NO_LIVE_STOCK_KEY``) until a connection is saved or deleted
    (``forget_stock_connection``), so that every add-to-cart path asks without a single query while none does."""
    if cache.get(NO_LIVE_STOCK_KEY):
        return None
    connection = ErpConnection.objects.filter(is_active=True, is_default=True).first()
    options = _sql_options(connection) if connection is not None else None
    if connection is None or options is None or options.live_stock_source == "off":
        cache.set(NO_LIVE_STOCK_KEY, 1, NO_LIVE_STOCK_SECONDS)
        return None
    return connection, options


def forget_stock_connection(**_kwargs) -> None:
    """A connection was saved or deleted: whether one offers live stock is read again at the next question (now,
    and once more when the change is committed, in case a page read the old state meanwhile)."""
    cache.delete(NO_LIVE_STOCK_KEY)
    transaction.on_commit(lambda: cache.delete(NO_LIVE_STOCK_KEY))


def stock_refresh(*, products: Iterable[Product]) -> Freshness | None:
    """Read the stock of ``products`` from the ERP now and store it in their stock rows: the SQL stock check
    first (``live_stock_source`` ``sql``), else the adapter's live call; None when the default connection
    offers no live stock. A source that fails falls back to the next, the last to the synced figures."""
    found = stock_connection()
    if found is None:
        return None
    connection, options = found
    products = list(products)
    if not products:
        return None
    codes = to_external_many(connection, Entity.PRODUCT, [p.pk for p in products])
    by_code = {codes.get(p.pk) or p.sku: p for p in products}
    reasons = []
    if options.live_stock_source == "sql":
        try:
            answer = run_stock_check(connection, list(by_code))
            records = [ErpStock(f.item_code, f.warehouse_code, f.quantity, f.reserved) for f in answer.figures]
            stock_store(connection, by_code, records, answer.as_of)
            return Freshness(live=True, as_of=answer.as_of, source="sql")
        except SqlCheckFailed as exc:
            reasons.append(str(exc))
    if Capability.LIVE_STOCK in capabilities_for(connection):
        as_of = timezone.now()
        try:
            with adapter_for(connection) as adapter:
                records = adapter.live_stock(list(by_code))
        except (ErpError, OSError) as exc:
            logger.warning("Live stock from %s failed: %s", connection.code, exc)
            reasons.append(str(exc))
        else:
            stock_store(connection, by_code, records, as_of)
            return Freshness(live=True, as_of=as_of, source="api")
    return Freshness(live=False, reason=" ".join(reasons) or "No live stock source answered.")


def stock_store(connection: ErpConnection, by_code: dict[str, Product], records: list[ErpStock], as_of) -> int:
    """Store live stock figures in the stock rows of the products asked about (``by_code``: ERP code → product):
    on hand and committed per warehouse, with ``as_of``. A warehouse the answer names, where an asked product
    has no row in the answer, holds none of it (zero). Figures the sync stored later are left alone; negative
    ones are stored as zero (nothing is offered from them). Returns how many rows changed."""
    maps = dict(
        ValueMap.objects.filter(connection=connection, kind=ValueMap.Kind.WAREHOUSE).values_list(
            "external_value", "local_value"
        )
    )
    warehouses = dict(Warehouse.objects.values_list("code", "pk"))
    figures: dict[tuple[int, int], tuple] = {}
    covered: set[int] = set()
    for record in records:
        product = by_code.get(str(record.product_code).strip())
        warehouse_id = warehouses.get(maps.get(record.warehouse_code, record.warehouse_code))
        if product is None or warehouse_id is None:
            continue
        covered.add(warehouse_id)
        on_hand, committed = figures.get((product.pk, warehouse_id), (ZERO, ZERO))
        figures[(product.pk, warehouse_id)] = (
            on_hand + max(record.on_hand, ZERO),
            committed + max(record.committed or ZERO, ZERO),
        )
    for product in by_code.values():
        for warehouse_id in covered:
            figures.setdefault((product.pk, warehouse_id), (ZERO, ZERO))
    existing = {
        (row.product_id, row.warehouse_id): row
        for row in StockLevel.objects.filter(product__in=list(by_code.values()), warehouse_id__in=covered)
    }
    changed = 0
    new_rows = []
    for (product_id, warehouse_id), (on_hand, committed) in figures.items():
        row = existing.get((product_id, warehouse_id))
        if row is None:
            if on_hand or committed:
                new_rows.append(StockLevel(product_id=product_id, warehouse_id=warehouse_id, on_hand=on_hand,
                                           committed_erp=committed, as_of=as_of))  # fmt: skip
            continue
        if row.on_hand == on_hand and row.committed_erp == committed:
            continue
        changed += (
            StockLevel.objects.filter(pk=row.pk)
            .filter(Q(as_of__isnull=True) | Q(as_of__lte=as_of))
            .update(on_hand=on_hand, committed_erp=committed, as_of=as_of)
        )
    if new_rows:
        StockLevel.objects.bulk_create(new_rows, ignore_conflicts=True)
        changed += len(new_rows)
    return changed


def _run_end(run: SyncRun, status: str, *, error: str = "", updated: int = 0, unchanged: int = 0) -> None:
    """Close the run log's record of a live lookup: staff see failed lookups beside the imports."""
    run.status, run.error, run.updated, run.unchanged = status, error, updated, unchanged
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "updated", "unchanged", "finished_at"])
