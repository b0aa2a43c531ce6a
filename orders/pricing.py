"""A cart priced now: every line through the catalogue's pricing and availability, never a stored price.

The cart page, the checkout page and ``order_place`` all read a cart through ``cart_priced``, so what the dealer
sees is what placement checks. ``signature`` fingerprints the priced lines: placement compares it with the one
the dealer confirmed and refuses when a price moved in between.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from catalog.availability import Decision, availability_for_products, quantity_decision
from catalog.categories import category_tree
from catalog.prices import LineAmounts, PriceResult, QuotedPrice
from catalog.pricing import DealerPricing
from catalog.selectors import is_visible
from orders.models import Cart, CartLine, QuoteLine, QuoteVersion

ZERO = Decimal("0.00")


@dataclass
class PricedLine:
    line: CartLine | QuoteLine
    price: PriceResult | None
    decision: Decision | None
    amounts: LineAmounts | None
    problem: str = ""


@dataclass
class PricedCart:
    cart: Cart | None
    currency: str
    lines: list[PricedLine] = field(default_factory=list)

    @property
    def total_net(self) -> Decimal:
        return sum((p.amounts.net for p in self.lines if p.amounts), ZERO)

    @property
    def total_vat(self) -> Decimal:
        return sum((p.amounts.vat for p in self.lines if p.amounts), ZERO)

    @property
    def total_gross(self) -> Decimal:
        return self.total_net + self.total_vat

    @property
    def problems(self) -> list[PricedLine]:
        return [p for p in self.lines if p.problem]

    @property
    def orderable(self) -> bool:
        return bool(self.lines) and not self.problems

    @property
    def signature(self) -> str:
        """A fingerprint of what the dealer is asked to pay: lines, quantities, unit prices and total."""
        parts = [
            f"{p.line.pk}:{p.line.product_id}:{p.line.unit_id}:{p.line.quantity}:{p.price.net if p.price else '-'}"
            for p in sorted(self.lines, key=lambda p: p.line.pk)
        ]
        parts.append(f"{self.currency}:{self.total_gross}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def cart_priced(
    *, dealer, cart: Cart | None, lines: list[CartLine] | None = None, pricing: DealerPricing | None = None
):
    """Price and check every line of ``cart`` for ``dealer`` in a constant number of queries.

    A line has a ``problem`` (and is not orderable) when the product is no longer visible to the dealer, has no
    price, or its quantity breaks the product's rules. Stock shortage is not a problem here: the decision says so
    and placement applies the stock rule.
    """
    from django.utils.translation import gettext as _

    pricing = pricing or DealerPricing(dealer)
    if lines is None:
        lines = list(cart.lines.select_related("product__base_unit", "product__brand", "unit").order_by("pk"))
    products = [line.product for line in lines]
    pricing.prime(products, packs=any(line.unit_id for line in lines))
    tree = category_tree()
    visible = {p.pk for p in products if is_visible(pricing=pricing, product=p, tree=tree)}
    stock = availability_for_products(products)
    priced = PricedCart(cart=cart, currency=dealer.currency)
    for line in lines:
        product = line.product
        if product.pk not in visible:
            priced.lines.append(PricedLine(line, None, None, None, _("This product is not available to you.")))
            continue
        price = pricing.price(product, line.quantity, line.unit)
        if not price.exists:
            priced.lines.append(PricedLine(line, price, None, None, price.message))
            continue
        decision = quantity_decision(
            product, line.quantity, unit_factor=price.unit_factor, availability=stock[product.pk]
        )
        problem = "" if decision.allowed or decision.reason == "insufficient_stock" else decision.message
        priced.lines.append(PricedLine(line, price, decision, price.line(line.quantity), problem))
    return priced


def quoted_prices(version: QuoteVersion, lines: list[QuoteLine]) -> dict[tuple[int, int | None], QuotedPrice]:
    """The quoted prices of a version's lines for ``DealerPricing(quoted=…)``: the net price each line was sent
    with (a discount is frozen as the net price it gave when the version was priced)."""
    reference = version.reference
    return {
        (line.product_id, line.unit_id): QuotedPrice(reference=reference, net=line.quoted_price_net)
        for line in lines
        if line.quoted_price_net is not None
    }


def quote_priced(*, dealer, version: QuoteVersion, lines: list[QuoteLine] | None = None) -> PricedCart:
    """A quote version's lines priced at their quoted prices through the catalogue's pricing (its quote step),
    checked like a cart's (``cart_priced``)."""
    if lines is None:
        lines = list(version.lines.select_related("product__base_unit", "product__brand", "unit").order_by("line_no"))
    pricing = DealerPricing(dealer, quoted=quoted_prices(version, lines))
    return cart_priced(dealer=dealer, cart=None, lines=lines, pricing=pricing)


@dataclass(frozen=True)
class PriceDifference:
    sku: str
    ordered: Decimal
    now: Decimal | None
    currency: str


def reorder_differences(*, order, priced: PricedCart) -> list[PriceDifference]:
    """For a reorder: the lines whose unit price today differs from the price on the earlier order (or that have
    no price today), so the dealer sees what changed before checking out."""
    now_by_product = {
        p.line.product_id: (p.price.net if p.price is not None and p.price.exists else None) for p in priced.lines
    }
    differences = []
    for line in order.lines.all():
        if line.product_id not in now_by_product:
            continue
        now = now_by_product[line.product_id]
        if now is None or now != line.unit_price_net.quantize(Decimal("0.01")):
            differences.append(PriceDifference(line.sku, line.unit_price_net, now, order.currency))
    return differences
