"""An order as a file for ETA's transfer module, and as the values of the ``SIPFIS``/``SIPHAR`` statements.

UNVERIFIED: ETA's transfer formats are not public. Its documents describe field lists (``stok.def``) and a ``.DFN``
mapping from symbols (``FISF00`` date, ``FISF01`` number) to the columns of a text or Excel file, which the
company's ETA user sets up once (http://www.etayazilim.org/transferexcelden-etaya-fatura-transfer-islemi/). The
portal writes one semicolon-separated text file per order, Windows Turkish (cp1254) as ETA's Windows clients
read, so the ``.DFN`` maps fixed column positions:

- ``FIS;<reference>;<yyyyMMdd>;<customer code>;<po number>;<note>`` once,
- ``HAR;<line no>;<item code>;<unit>;<quantity>;<net unit price>;<vat %>;<discount %>;<description>`` per line.

Decimals with ``,`` (ETA's Turkish locale), no thousands separator; ``;`` and line breaks inside texts become spaces.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erpsync.adapters.base import ErpOrder, ErpOrderLine, PermanentError
from erpsync.adapters.file.writer import TextFormat, spell_decimal

ENCODING = "cp1254"
FORMAT = TextFormat(decimal_mark=",")


def file_name(reference: str) -> str:
    return f"{reference}.txt"


def _text(value: str) -> str:
    return " ".join(value.replace(";", " ").split())


def _number(value: Decimal) -> str:
    return spell_decimal(value, FORMAT)


def render(order: ErpOrder) -> bytes:
    rows = [
        [
            "FIS",
            order.reference,
            order.ordered_on.strftime("%Y%m%d"),
            order.customer_code,
            _text(order.po_number),
            _text(order.note),
        ]
    ]
    for line in order.lines:
        rows.append(
            [
                "HAR",
                str(line.line_no),
                line.product_code,
                line.unit,
                _number(line.quantity),
                _number(line.unit_price),
                _number(line.vat_rate),
                _number(line.discount_percent),
                _text(line.description),
            ]
        )
    text = "\r\n".join(";".join(row) for row in rows) + "\r\n"
    try:
        return text.encode(ENCODING)
    except UnicodeEncodeError as exc:
        raise PermanentError(
            f"the order holds {exc.object[exc.start : exc.end]!r}, which ETA's files cannot carry."
        ) from None


def header_values(order: ErpOrder) -> dict[str, Any]:
    """The header statement's parameters (``:reference``, ``:customer``, ``:ordered_on``, ``:gross``, ``:vat``,
    ``:note``, ``:po_number``; ``:number`` is added by the numbering statement)."""
    return {
        "reference": order.reference,
        "customer": order.customer_code,
        "ordered_on": order.ordered_on,
        "gross": order.gross,
        "vat": order.vat,
        "net": order.net,
        "note": order.note[:100],
        "po_number": order.po_number,
    }


def line_values(order: ErpOrder, line: ErpOrderLine) -> dict[str, Any]:
    """A line statement's parameters (``:line_no``, ``:product``, ``:unit``, ``:quantity``, ``:price``,
    ``:amount``, ``:vat_rate``, ``:discount``, ``:description``)."""
    return {
        "line_no": line.line_no,
        "product": line.product_code,
        "unit": line.unit,
        "quantity": line.quantity,
        "price": line.unit_price,
        "amount": (line.unit_price * line.quantity).quantize(Decimal("0.01")),
        "vat_rate": line.vat_rate,
        "discount": line.discount_percent,
        "description": line.description[:50],
    }
