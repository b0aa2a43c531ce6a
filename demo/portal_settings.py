"""What staff set in the portal on the rows the sync created, and what the portal keeps that the ERP does not send
(exchange rates, dealer IBANs)."""

from __future__ import annotations

from dataclasses import dataclass

from b2bportal.text import ascii_slug
from catalog.models import (
    Category,
    ExchangeRate,
    Product,
)
from catalog.pricing import price_data_changed
from dealers.models import Dealer, DealerChange, DealerIban, PaymentTerms, SalesRep
from dealers.services import dealer_save
from demo.catalogue import PRODUCT_HOLD_REASONS
from demo.catalogue_data import CATEGORIES
from demo.company import EMAIL_DOMAIN, EUR_RATE, USD_RATE
from demo.customers import PAYMENT_TERMS, SALES_REPS, DealerPlan
from demo.erp_export import ErpPlan
from demo.rows import Context, insert_missing


@dataclass
class Known:
    """Codes of the ERP-owned rows that existed before the sync: staff settings go on new rows only, so what
    staff changed while demoing stays."""

    categories: set[str]
    products: set[str]
    terms: set[str]
    reps: set[str]
    dealers: set[str]

    @classmethod
    def load(cls) -> Known:
        return cls(
            categories=set(Category.objects.values_list("code", flat=True)),
            products=set(Product.objects.values_list("sku", flat=True)),
            terms=set(PaymentTerms.objects.values_list("code", flat=True)),
            reps=set(SalesRep.objects.values_list("code", flat=True)),
            dealers=set(Dealer.objects.values_list("code", flat=True)),
        )


def apply_portal_settings(ctx: Context, plan: ErpPlan, known: Known) -> None:
    """On rows the sync just created: the category order, term names and rep e-mails the ERP does not send,
    the items staff hold back, and the dealers staff review, ask for PO numbers or hold.

    The importers treat an item's and a customer's status as the ERP's: an export that is applied again (not
    the identical one, which the sync skips) lifts these holds."""
    ctx.log("Portal settings on new ERP records")
    sort_orders = {code: index * 10 for index, (code, _names, _leaves) in enumerate(CATEGORIES)}
    sort_orders |= {leaf.code: index * 10 for _c, _n, leaves in CATEGORIES for index, leaf in enumerate(leaves)}
    categories = list(Category.objects.filter(code__in=set(sort_orders) - known.categories))
    for category in categories:
        category.sort_order = sort_orders[category.code]
    Category.objects.bulk_update(categories, ["sort_order"])
    for reason in PRODUCT_HOLD_REASONS:
        held = [p.sku for p in plan.products if p.hold_reason == reason and p.sku not in known.products]
        Product.objects.filter(sku__in=held).update(
            status=Product.Status.QUARANTINED, status_reason=reason, updated_at=ctx.now
        )
    for code, name, _days in PAYMENT_TERMS:
        if code not in known.terms:
            PaymentTerms.objects.filter(code=code).update(name=name)
    for code, name in SALES_REPS:
        if code not in known.reps:
            SalesRep.objects.filter(code=code).update(email=f"{ascii_slug(name).replace('-', '.')}@{EMAIL_DOMAIN}")
    staff_set = {
        d.code: d
        for d in plan.dealers
        if d.code not in known.dealers and (d.requires_manual_review or d.po_number_required or d.status_reason)
    }
    for dealer in Dealer.objects.filter(code__in=staff_set).order_by("pk"):
        wanted = staff_set[dealer.code]
        dealer.requires_manual_review = wanted.requires_manual_review
        dealer.po_number_required = wanted.po_number_required
        dealer.status, dealer.status_reason = wanted.status, wanted.status_reason
        dealer_save(
            dealer=dealer,
            source=DealerChange.Source.STAFF,
            reason="Demo setup",
            fields=["requires_manual_review", "po_number_required", "status", "status_reason"],
        )
    ctx.log(f"  {len(categories)} category orders, {len(staff_set)} dealer settings")


def load_exchange_rates(ctx: Context) -> None:
    """Today's rates, as the portal keeps them (the ERP does not send them)."""
    ctx.log("Exchange rates, dealer IBANs")
    objects = [
        ExchangeRate(currency=currency, rate_date=ctx.today, rate=rate, source="demo")
        for currency, rate in (("USD", USD_RATE), ("EUR", EUR_RATE))
    ]
    insert_missing(ctx, objects, ("currency", "rate_date"))
    price_data_changed()  # a bulk insert sends no signals


def load_ibans(ctx: Context, plans: list[DealerPlan], dealer_ids: dict[str, int]) -> None:
    objects = [
        DealerIban(dealer_id=dealer_ids[plan.code], iban=number, bank_name=bank, source=DealerIban.Source.STAFF)
        for plan in plans
        for number, bank in plan.ibans
    ]
    insert_missing(ctx, objects, ("iban",))
