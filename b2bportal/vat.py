"""The VAT breakdown printed on documents (order confirmation, invoice copy): net and VAT summed per rate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class VatRow:
    """The lines of one VAT rate: their net amount and their VAT, as stored on the lines."""

    rate: Decimal
    net: Decimal
    vat: Decimal


def vat_breakdown(lines: Iterable[Any]) -> list[VatRow]:
    """Net and VAT summed per VAT rate, lowest rate first, from each line's ``vat_rate``, ``line_net`` and
    ``line_vat`` (an order line, a document line).

    Sums the amounts stored on the lines (what the dealer was charged); nothing is recalculated or re-rounded. Returns
    an empty list when any line lacks one of the three: a partial breakdown would mislead."""
    sums: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in lines:
        if line.vat_rate is None or line.line_net is None or line.line_vat is None:
            return []
        net, vat = sums.get(line.vat_rate, (Decimal("0"), Decimal("0")))
        sums[line.vat_rate] = (net + line.line_net, vat + line.line_vat)
    return [VatRow(rate=rate, net=net, vat=vat) for rate, (net, vat) in sorted(sums.items())]
