"""``demo_load``: the sample ERP export imported, then the portal's own demo rows, in one transaction."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from catalog.models import (
    Brand,
    Category,
    DealerAgreement,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductDocument,
    ProductImage,
    ProductUnit,
    StockLevel,
    Unit,
    Warehouse,
)
from dealers.models import Dealer, DealerAddress, DealerIban, DealerUser, PaymentTerms, SalesRep
from demo.company import SEED
from demo.erp_export import plan_erp
from demo.erp_import import demo_drop_folder, sync_sample_export
from demo.media import load_pictures
from demo.order_history import load_orders
from demo.portal_settings import Known, apply_portal_settings, load_exchange_rates, load_ibans
from demo.quotes import load_quotes
from demo.recurring import load_recurring
from demo.rows import Context, ids
from demo.stock_alerts import load_stock_alerts
from demo.users import DemoLogin, load_users
from erpsync.models import SyncRun
from orders.models import Order, OrderLine, OrderStatusChange, Quote, RecurringOrder


class DemoRefusedError(Exception):
    """The demo would create well-known passwords; it refuses to run with production settings."""


@dataclass
class DemoSummary:
    created: Counter[str]
    totals: dict[str, int]
    logins: list[DemoLogin]
    seconds: float
    sync_runs: list[SyncRun] = field(default_factory=list)
    # Sample export files the database had applied already: not handed over again.
    applied_before: list[str] = field(default_factory=list)
    drop_folder: Path | None = None


def demo_load(*, stdout: TextIO | None = None, drop_folder: Path | None = None) -> DemoSummary:
    """Import the sample ERP export through the file adapter, then create whatever portal data is missing, in
    one transaction, and report the totals and the sync runs.

    Refuses (``DemoRefusedError``) under the production settings module: the demo creates a superuser with a
    published password. Raises ``DemoSyncError`` (and keeps nothing) when a sync run fails or opens issues.
    """
    if str(getattr(settings, "SETTINGS_MODULE", "")).endswith(".production"):
        raise DemoRefusedError("The demo creates users with published passwords; it never runs in production.")
    started = time.monotonic()
    ctx = Context(rng=random.Random(SEED), now=timezone.now(), today=timezone.localdate(), out=stdout)
    drop = (drop_folder or demo_drop_folder()).resolve()
    before = counts()
    with transaction.atomic():
        plan = plan_erp(ctx.rng)
        known = Known.load()
        runs, applied_before = sync_sample_export(ctx, drop)
        pictures = load_pictures(ctx, drop)
        if pictures is not None:
            runs.append(pictures)
        apply_portal_settings(ctx, plan, known)
        load_exchange_rates(ctx)
        dealer_ids = ids(Dealer)
        load_ibans(ctx, plan.dealers, dealer_ids)
        user_ids, logins = load_users(ctx, dealer_ids, {d.code: d.title for d in plan.dealers})
        load_orders(ctx, plan, dealer_ids, user_ids)
        load_quotes(ctx)
        load_recurring(ctx)
        load_stock_alerts(ctx)
    totals = counts()
    created = Counter({label: totals[label] - before[label] for label in totals if totals[label] > before[label]})
    return DemoSummary(
        created=created,
        totals=totals,
        logins=logins,
        seconds=time.monotonic() - started,
        sync_runs=runs,
        applied_before=applied_before,
        drop_folder=drop,
    )


COUNTED_MODELS: tuple[type[models.Model], ...] = (
    Unit,
    Warehouse,
    Category,
    Brand,
    Product,
    ProductDocument,
    ProductImage,
    ProductUnit,
    StockLevel,
    PriceList,
    PriceListItem,
    ExchangeRate,
    PaymentTerms,
    SalesRep,
    Dealer,
    DealerAddress,
    DealerIban,
    DealerAgreement,
    User,
    DealerUser,
    Order,
    OrderLine,
    OrderStatusChange,
    Quote,
    RecurringOrder,
)


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in COUNTED_MODELS}
