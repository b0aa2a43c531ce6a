"""A price as the dealer reads it: the unit price with its VAT, line totals rounded as an accountant rounds them,
and the explanation of every rule that produced it in the reader's language; or ``NoPrice`` with the reason.

The rules themselves are in ``catalog.pricing``; these values only carry and explain their outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from django.utils import formats, translation
from django.utils.translation import gettext as _

from b2bportal.money import format_decimal, format_money, format_percent, format_quantity, quantize_money

HUNDRED = Decimal("100")
ONE = Decimal("1")


def _amount_text(amount: Decimal, currency: str) -> str:
    """Money in the reader's locale, with four decimals only when the cents do not say it all."""
    if amount == amount.quantize(Decimal("0.01")):
        return format_money(amount, currency)
    return f"{format_decimal(amount, 4)} {currency}"


@dataclass(frozen=True)
class PriceStep:
    """One rule in the chain that produced a price; ``amount`` is the price after the rule, in ``currency``."""

    kind: str
    amount: Decimal
    currency: str
    params: dict = field(default_factory=dict, compare=False)

    def label(self) -> str:
        """The rule as a dealer reads it: no internal codes (a price list is "the list price", not its code)."""
        p = self.params
        if self.kind == "list":
            return _("List price")
        if self.kind == "tier":
            return _("tier ≥ %(min)s") % {"min": format_quantity(p["min"])}
        if self.kind == "without_vat":
            return _("without VAT %(rate)s") % {"rate": format_percent(p["rate"])}
        if self.kind == "pack":
            return _("× %(factor)s per %(unit)s") % {"factor": format_quantity(p["factor"]), "unit": p["unit"]}
        if self.kind == "agreement_fixed":
            return _("agreement: fixed price on %(target)s") % {"target": _target_text(p["target"])}
        if self.kind == "agreement_discount":
            return _("agreement −%(percent)s %% on %(target)s") % {
                "percent": format_quantity(p["percent"]),
                "target": _target_text(p["target"]),
            }
        if self.kind == "currency":
            return _("%(source)s→%(target)s at %(rate)s (%(date)s)") % {
                "source": p["source"],
                "target": p["target"],
                "rate": format_decimal(p["rate"], 4),
                "date": formats.date_format(p["date"], "SHORT_DATE_FORMAT"),
            }
        if self.kind == "quoted":
            return _("quoted price (%(reference)s)") % {"reference": p["reference"]}
        if self.kind == "quote_discount":
            return _("quote −%(percent)s %% (%(reference)s)") % {
                "percent": format_quantity(p["percent"]),
                "reference": p["reference"],
            }
        if self.kind == "rounded":
            return _("rounded")
        if self.kind == "vat":
            return _("VAT %(rate)s") % {"rate": format_percent(p["rate"])}
        return self.kind

    def text(self) -> str:
        return f"{self.label()}: {_amount_text(self.amount, self.currency)}"

    @property
    def staff_text(self) -> str:
        """The step for staff: the dealer's text with the price list's code, which staff look lists up by."""
        if self.kind == "list" and self.params.get("code"):
            return f"{self.label()} ({self.params['code']}): {_amount_text(self.amount, self.currency)}"
        return self.text()


def steps_snapshot(steps) -> list[dict]:
    """Price steps as an order line keeps them: kind, amount and currency, and the text in both languages."""
    snapshot = []
    for step in steps:
        texts = {}
        for language in ("tr", "en"):
            with translation.override(language):
                texts[language] = step.text()
        snapshot.append({"kind": step.kind, "amount": str(step.amount), "currency": step.currency, **texts})
    return snapshot


@dataclass(frozen=True)
class QuotedPrice:
    """A price negotiated in a quote for one product and unit: a net unit price in the dealer's currency, or a
    discount percentage off the dealer's normal price. ``reference`` names the quote in the explanation."""

    reference: str
    net: Decimal | None = None
    percent: Decimal | None = None

    def __post_init__(self):
        if (self.net is None) == (self.percent is None):
            raise ValueError("A quoted price is either a net price or a discount percentage.")


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class Price:
    """A unit price for one product, quantity and unit. ``net``, ``vat`` and ``gross`` are per unit, in cents."""

    exists: ClassVar[bool] = True

    product_id: int
    quantity: Decimal
    unit_code: str
    unit_factor: Decimal
    currency: str
    net: Decimal
    vat_rate: Decimal
    vat: Decimal
    gross: Decimal
    steps: tuple[PriceStep, ...]
    priced_on: dt.date
    price_list_code: str | None = None
    tier_min_quantity: Decimal | None = None
    agreement_id: int | None = None
    exchange_rate: Decimal | None = None
    exchange_rate_date: dt.date | None = None
    gross_is_listed: bool = False

    @property
    def explanation(self) -> str:
        """The chain of rules, e.g. "List price: ₺120.00 → tier ≥ 50: ₺114.00 → … → VAT 20%: ₺129.96"."""
        return " → ".join(step.text() for step in self.steps)

    def line(self, quantity: Decimal | None = None) -> LineAmounts:
        """Totals for ``quantity`` units (default: the priced quantity), rounded once per line."""
        quantity = self.quantity if quantity is None else quantity
        rate = self.vat_rate / HUNDRED
        if self.gross_is_listed:
            gross = quantize_money(self.gross * quantity)
            net = quantize_money(gross / (ONE + rate))
            return LineAmounts(net=net, vat=gross - net, gross=gross)
        net = quantize_money(self.net * quantity)
        vat = quantize_money(net * rate)
        return LineAmounts(net=net, vat=vat, gross=net + vat)


@dataclass(frozen=True)
class NoPrice:
    """No applicable price; the product cannot be ordered. ``reason`` is a stable code, ``message`` says why."""

    exists: ClassVar[bool] = False

    product_id: int
    reason: str
    params: dict = field(default_factory=dict, compare=False)
    steps: tuple[PriceStep, ...] = ()

    @property
    def message(self) -> str:
        """Why there is no price, as a dealer reads it: the price list is "your price list", never its code."""
        p = self.params
        messages = {
            "no_price_list": _("The dealer has no price list."),
            "price_list_not_valid": _("Your price list is not valid on %(date)s."),
            "not_on_list": _("The product is not on your price list."),
            "below_lowest_break": _("Your price list prices this product from quantity %(min)s."),
            "no_exchange_rate": _("No exchange rate for %(currency)s on or before %(date)s."),
            "unit_not_sold": _("The product is not sold in unit %(unit)s."),
            "invalid_quantity": _("The quantity must be above zero."),
        }
        text = messages.get(self.reason, self.reason)
        values = {**p}
        if "date" in values:
            values["date"] = formats.date_format(values["date"], "SHORT_DATE_FORMAT")
        if "min" in values:
            values["min"] = format_quantity(values["min"])
        return text % values

    @property
    def staff_message(self) -> str:
        """The reason for staff, with the price list's code when one is concerned."""
        if self.params.get("code"):
            return f"{self.message} ({self.params['code']})"
        return self.message

    @property
    def explanation(self) -> str:
        return " → ".join([*(step.text() for step in self.steps), self.message])


PriceResult = Price | NoPrice


def _target_text(target: tuple[str, str, str]) -> str:
    kind, name, name_en = target
    if name_en and (translation.get_language() or "").startswith("en"):
        name = name_en
    if kind == "product":
        return _("product %(sku)s") % {"sku": name}
    if kind == "category":
        return _("category %(name)s") % {"name": name}
    return _("brand %(name)s") % {"name": name}
