"""What a parsed EDI order says, whatever its syntax: the interchange (sender, control reference), the parties,
and the lines with every code they carry. No database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

# UN/ECE Recommendation 20 codes that mean "one piece": the product's base unit. Other codes are mapped below
# or passed on as they are (a portal unit code such as KOLI is accepted too).
PIECE_CODES = frozenset({"C62", "PCE", "EA", "H87", "NAR", "NMB", "PCS"})
UNIT_CODES = {"KGM": "KG", "LTR": "LT", "MTR": "M", "CT": "KOLI", "CS": "KOLI", "BX": "KOLI", "PK": "KOLI"}


def portal_unit_code(code: str) -> str:
    """The portal unit a message's unit code means; "" for the product's base unit (pieces, or no code)."""
    code = code.strip().upper()
    if not code or code in PIECE_CODES:
        return ""
    return UNIT_CODES.get(code, code)


class EdiSyntaxError(Exception):
    """The message cannot be read; ``location`` names where (EDIFACT: segment number, tag and element;
    UBL: an XPath), ``message`` says what is wrong.

    EDIFACT errors also carry what a CONTRL report needs: ``code`` (ISO 9735 syntax error, data element 0085),
    ``position`` (the segment's number in the interchange, UNB = 1; 0 when no one segment is at fault), ``tag``,
    ``element`` and ``component`` (counted from 1 after the tag). ``envelope`` is set by the interchange reader
    (``orders.edi.edifact.Envelope``) so the report can be addressed even though nothing else could be read."""

    def __init__(
        self,
        location: str,
        message: str,
        *,
        code: str = "18",
        position: int = 0,
        tag: str = "",
        element: int | None = None,
        component: int | None = None,
    ):
        self.location = location
        self.message = message
        self.code = code
        self.position = position
        self.tag = tag
        self.element = element
        self.component = component
        self.envelope = None
        self.message_reference = ""
        super().__init__(f"{location}: {message}" if location else message)


@dataclass(frozen=True)
class EdiParty:
    gln: str = ""
    tax_number: str = ""
    name: str = ""


@dataclass(frozen=True)
class EdiLine:
    """One order line. ``buyer_code`` is the buyer's own item number, ``seller_code`` the seller's (our SKU),
    ``gtin`` the GTIN; ``unit`` is the message's unit code (UN/ECE Rec 20) as sent; ``price`` the price the
    buyer expects (kept for the record, never used: prices are the portal's)."""

    line_id: str
    quantity: Decimal
    unit: str = ""
    buyer_code: str = ""
    seller_code: str = ""
    gtin: str = ""
    description: str = ""
    price: Decimal | None = None

    @property
    def codes(self) -> list[str]:
        """The codes to try, in the portal's order: the buyer's own code, the SKU, the GTIN."""
        return [code for code in (self.buyer_code, self.seller_code, self.gtin) if code]


@dataclass
class EdiOrder:
    format: str
    sender: str
    reference: str
    document_number: str
    buyer: EdiParty
    seller: EdiParty = field(default_factory=EdiParty)
    delivery: EdiParty = field(default_factory=EdiParty)
    currency: str = ""
    issue_date: dt.date | None = None
    delivery_date: dt.date | None = None
    note: str = ""
    lines: list[EdiLine] = field(default_factory=list)
    syntax: dict = field(default_factory=dict)
    # EDIFACT: UNH 0062, unique within the interchange; "" for UBL (one document, one order).
    message_reference: str = ""
