"""Reads of orders, scoped to what a dealer user may see."""

from __future__ import annotations

import json
from decimal import Decimal

from django.db.models import BooleanField, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum

from dealers.access import get_scoped_or_404, scoped
from dealers.models import DealerUser
from orders.models import Order, Quote, QuoteLine, QuoteVersion
from orders.status import NOT_YET_IN_ERP


def order_list_for_dealer_user(*, dealer_user: DealerUser) -> QuerySet[Order]:
    """Approvers and dealer admins see all of the dealer's orders; a buyer sees the orders they placed."""
    orders = scoped(Order.objects.exclude(status="draft"), dealer_user).select_related("placed_by")
    if not dealer_user.can_approve:
        orders = orders.filter(placed_by=dealer_user.user_id)
    return orders.order_by("-placed_at", "-id")


def order_search_for_dealer_user(*, dealer_user: DealerUser, q="", status="", date_from=None, date_to=None):
    """The order history with its filters: order or PO number (part of it), status, placed between two dates."""
    orders = order_list_for_dealer_user(dealer_user=dealer_user)
    if q:
        orders = orders.filter(Q(number__icontains=q) | Q(po_number__icontains=q))
    if status:
        orders = orders.filter(status=status)
    if date_from:
        orders = orders.filter(placed_at__date__gte=date_from)
    if date_to:
        orders = orders.filter(placed_at__date__lte=date_to)
    return orders


def orders_awaiting_dealer_approval(*, dealer_user: DealerUser) -> QuerySet[Order]:
    """Buyers' orders above their limit, with their lines, for the dealer's approvers; nothing for a buyer."""
    if not dealer_user.can_approve:
        return Order.objects.none()
    return (
        scoped(Order.objects.filter(status="awaiting_dealer_approval"), dealer_user)
        .select_related("placed_by")
        .prefetch_related("lines")
        .order_by("placed_at", "id")
    )


def order_get_for_dealer_user(*, dealer_user: DealerUser, number: str) -> Order:
    """One order the dealer user may see, or 404."""
    return get_scoped_or_404(
        order_list_for_dealer_user(dealer_user=dealer_user).prefetch_related("lines", "status_changes__actor"),
        dealer_user,
        number=number,
    )


def portal_pending_totals(*, dealers) -> dict[int, Decimal]:
    """Totals of each dealer's on-account portal orders, in the dealer's currency, that the ERP's figures do not
    include yet, by dealer id (dealers with none are absent), in one query. Orders paid by card or bank transfer
    are not credit: they are released only once paid."""
    by_id = {dealer.pk: dealer for dealer in dealers}
    rows = (
        Order.objects.filter(
            dealer_id__in=list(by_id), status__in=NOT_YET_IN_ERP, payment_method=Order.PaymentMethod.ON_ACCOUNT
        )
        .order_by()
        .values("dealer_id", "currency")
        .annotate(total=Sum("total_gross"))
        .values_list("dealer_id", "currency", "total")
    )
    return {dealer_id: total for dealer_id, currency, total in rows if currency == by_id[dealer_id].currency}


class _HasHoldRule(Func):
    """True where the order's ``hold_reasons`` hold a reason with rule code ``rule``: a JSON containment test on
    PostgreSQL, a walk of the array with ``json_tree`` on SQLite (which has no JSON ``contains``). Reasons stored as
    plain text name no rule and never match."""

    output_field = BooleanField()

    def __init__(self, rule: str):
        super().__init__(F("hold_reasons"))
        self.rule = rule

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"({column})::jsonb @> %s::jsonb", [*params, json.dumps([{"rule": self.rule}])]

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.get_source_expressions()[0])
        # A top-level element's "rule" key: its path is "$[n]", with no further step. ``column`` is the compiled
        # column name; the rule code is a parameter.
        sql = (
            f"EXISTS (SELECT 1 FROM json_tree({column}) AS reason WHERE reason.key = 'rule' "  # noqa: S608
            "AND reason.atom = %s AND reason.path NOT LIKE '%%.%%')"
        )
        return sql, [*params, self.rule]


def orders_held_for(queryset: QuerySet[Order], rule: str) -> QuerySet[Order]:
    """The orders of ``queryset`` with a hold reason of ``rule`` (a code of ``orders.rules.RULE_LABELS``)."""
    return queryset.filter(_HasHoldRule(rule))


# -- quotes ------------------------------------------------------------------------------------------------------


def quote_list_for_dealer_user(*, dealer_user: DealerUser) -> QuerySet[Quote]:
    """The dealer's quotes, newest first, with who asked and the latest version's total and validity."""
    sent = QuoteVersion.objects.filter(quote=OuterRef("pk"), sent_at__isnull=False).order_by("-number")
    return (
        scoped(Quote.objects.all(), dealer_user)
        .select_related("requested_by", "order")
        .annotate(
            sent_total=Subquery(sent.values("total_gross")[:1]),
            sent_valid_until=Subquery(sent.values("valid_until")[:1]),
            sent_version=Subquery(sent.values("number")[:1]),
        )
        .order_by("-created_at", "-id")
    )


def quote_get_for_dealer_user(*, dealer_user: DealerUser, number: str) -> Quote:
    """One quote of the dealer user's own dealer, or 404 (another dealer's quote answers like a missing one)."""
    return get_scoped_or_404(
        Quote.objects.select_related("dealer", "requested_by", "order"), dealer_user, number=number
    )


def quote_versions_for_dealer(quote: Quote) -> list[QuoteVersion]:
    """The versions sent to the dealer, newest first, each with its lines (products and units loaded): drafts
    staff are still working on are not shown. Three queries whatever the number of lines."""
    lines = QuoteLine.objects.select_related("product__base_unit", "unit").order_by("line_no")
    return list(
        quote.versions.filter(sent_at__isnull=False)
        .prefetch_related(Prefetch("lines", queryset=lines, to_attr="shown_lines"))
        .order_by("-number")
    )


def quote_request_lines(quote: Quote) -> list[QuoteLine]:
    """The lines as the dealer asked for them (the first version's), for a quote not sent yet."""
    return list(
        QuoteLine.objects.filter(version__quote=quote, version__number=1)
        .select_related("product__base_unit", "unit")
        .order_by("line_no")
    )
