"""UBL 2.1 Order (PEPPOL BIS Ordering 3) in, OrderResponse (PEPPOL BIS Order Response 3) out.

Parsed with defusedxml with DTDs forbidden: a document type declaration, an entity (the "billion laughs"
expansion) or an external reference (XXE) refuses the message before anything is read. Errors name the element
by an XPath ("/Order/cac:OrderLine[2]/cac:LineItem/cbc:Quantity").

Read (PEPPOL BIS Ordering 3, syntax binding of the Order transaction, https://docs.peppol.eu/poacc/upgrade-3/):
cbc:ID (order number), cbc:IssueDate, cbc:DocumentCurrencyCode, cbc:Note, cac:BuyerCustomerParty/cac:Party
(cbc:EndpointID and cac:PartyIdentification/cbc:ID with schemeID 0088 = GLN; cac:PartyTaxScheme/cbc:CompanyID and
cac:PartyLegalEntity/cbc:CompanyID = tax number), cac:SellerSupplierParty, cac:Delivery (cac:DeliveryLocation/cbc:ID,
cac:RequestedDeliveryPeriod/cbc:StartDate), cac:OrderLine/cac:LineItem (cbc:ID, cbc:Quantity/@unitCode,
cac:Price/cbc:PriceAmount, cac:Item/cac:BuyersItemIdentification, cac:SellersItemIdentification,
cac:StandardItemIdentification/cbc:ID schemeID 0160 = GTIN).
The answer follows PEPPOL BIS Order Response 3: cbc:OrderResponseCode from UNCL4343 (AP accepted, CA accepted with
changes, RE rejected) and per line cbc:LineStatusCode from UNCL1229 (5 accepted, 3 changed, 7 not accepted).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from orders.edi.message import EdiLine, EdiOrder, EdiParty, EdiSyntaxError

ORDER_NS = "urn:oasis:names:specification:ubl:schema:xsd:Order-2"
RESPONSE_NS = "urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PREFIX = {CAC: "cac", CBC: "cbc", ORDER_NS: "", RESPONSE_NS: ""}
GLN_SCHEME = "0088"
MAX_BYTES = 5 * 1024 * 1024
register_namespace("cac", CAC)
register_namespace("cbc", CBC)
register_namespace("rsp", RESPONSE_NS)


def _name(tag: str) -> str:
    ns, _brace, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    prefix = PREFIX.get(ns, "")
    return f"{prefix}:{local}" if prefix else local


def _path(*steps: str) -> str:
    return "/" + "/".join(steps)


def _find(element: Element, path: str) -> Element | None:
    return element.find(path, {"cac": CAC, "cbc": CBC})


def _text(element: Element, path: str) -> str:
    found = _find(element, path)
    return (found.text or "").strip() if found is not None else ""


def parse_order(data: bytes | str) -> EdiOrder:
    if len(data) > MAX_BYTES:
        raise EdiSyntaxError("/", f"the document is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise EdiSyntaxError("/", f"refused: {type(exc).__name__} (no DTDs, entities or external references)") from None
    except ParseError as exc:
        line, column = exc.position
        raise EdiSyntaxError("/", f"not well-formed XML at line {line}, column {column}") from None
    if root.tag != f"{{{ORDER_NS}}}Order":
        raise EdiSyntaxError(_path(_name(root.tag)), "the root element must be a UBL 2.1 Order")
    order_id = _need(root, "cbc:ID", "/Order")
    buyer_el = _find(root, "cac:BuyerCustomerParty/cac:Party")
    if buyer_el is None:
        raise EdiSyntaxError("/Order/cac:BuyerCustomerParty/cac:Party", "the buyer is missing")
    buyer = _party(buyer_el)
    sender = buyer.gln or buyer.tax_number
    if not sender:
        raise EdiSyntaxError(
            "/Order/cac:BuyerCustomerParty/cac:Party/cbc:EndpointID", "the buyer has no GLN or tax number"
        )
    seller_el = _find(root, "cac:SellerSupplierParty/cac:Party")
    order = EdiOrder(
        format="ubl",
        sender=sender,
        reference=order_id,
        document_number=order_id,
        buyer=buyer,
        seller=_party(seller_el) if seller_el is not None else EdiParty(),
        currency=_text(root, "cbc:DocumentCurrencyCode"),
        issue_date=_date(root, "cbc:IssueDate", "/Order"),
        note=_text(root, "cbc:Note"),
    )
    location = _text(root, "cac:Delivery/cac:DeliveryLocation/cbc:ID")
    order.delivery = EdiParty(gln=location)
    order.delivery_date = _date(root, "cac:Delivery/cac:RequestedDeliveryPeriod/cbc:StartDate", "/Order")
    lines = root.findall("cac:OrderLine", {"cac": CAC})
    if not lines:
        raise EdiSyntaxError("/Order/cac:OrderLine", "the order has no lines")
    for index, line_el in enumerate(lines, start=1):
        order.lines.append(_line(line_el, f"/Order/cac:OrderLine[{index}]/cac:LineItem"))
    return order


def _need(element: Element, path: str, where: str) -> str:
    value = _text(element, path)
    if not value:
        raise EdiSyntaxError(f"{where}/{path}", "a value is required")
    return value


def _date(element: Element, path: str, where: str) -> dt.date | None:
    value = _text(element, path)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise EdiSyntaxError(f"{where}/{path}", f"“{value}” is not a date (YYYY-MM-DD)") from None


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _party(party: Element) -> EdiParty:
    gln = ""
    for path in ("cbc:EndpointID", "cac:PartyIdentification/cbc:ID"):
        for found in party.findall(path, {"cac": CAC, "cbc": CBC}):
            if found.get("schemeID") == GLN_SCHEME and (found.text or "").strip():
                gln = gln or found.text.strip()
    tax = ""
    for path in ("cac:PartyTaxScheme/cbc:CompanyID", "cac:PartyLegalEntity/cbc:CompanyID"):
        tax = tax or _digits(_text(party, path))
    name = _text(party, "cac:PartyName/cbc:Name") or _text(party, "cac:PartyLegalEntity/cbc:RegistrationName")
    return EdiParty(gln=gln, tax_number=tax, name=name)


def _line(line: Element, where: str) -> EdiLine:
    item = _find(line, "cac:LineItem")
    if item is None:
        raise EdiSyntaxError(where, "the line item is missing")
    line_id = _need(item, "cbc:ID", where)
    quantity_el = _find(item, "cbc:Quantity")
    if quantity_el is None or not (quantity_el.text or "").strip():
        raise EdiSyntaxError(f"{where}/cbc:Quantity", "the quantity is required")
    quantity = _number(quantity_el.text, f"{where}/cbc:Quantity")
    if quantity <= 0:
        raise EdiSyntaxError(f"{where}/cbc:Quantity", "the quantity must be above zero")
    price_text = _text(item, "cac:Price/cbc:PriceAmount")
    price = _number(price_text, f"{where}/cac:Price/cbc:PriceAmount") if price_text else None
    result = EdiLine(
        line_id=line_id,
        quantity=quantity,
        unit=quantity_el.get("unitCode", ""),
        buyer_code=_text(item, "cac:Item/cac:BuyersItemIdentification/cbc:ID"),
        seller_code=_text(item, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
        gtin=_text(item, "cac:Item/cac:StandardItemIdentification/cbc:ID"),
        description=_text(item, "cac:Item/cbc:Name"),
        price=price,
    )
    if not result.codes:
        raise EdiSyntaxError(f"{where}/cac:Item", "the line names no item (buyer's, seller's or standard ID)")
    return result


def _number(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise EdiSyntaxError(where, f"“{text.strip()[:40]}” is not a number") from None
    if not value.is_finite():
        raise EdiSyntaxError(where, f"“{text.strip()[:40]}” is not a number")
    return value


# -- OrderResponse -------------------------------------------------------------------------------------------

RESPONSE_CODE = {"accepted": "AP", "changed": "CA", "rejected": "RE"}
LINE_STATUS = {"accepted": "5", "changed": "3", "rejected": "7"}


def _el(parent: Element, name: str, text: str | None = None, **attrs: str) -> Element:
    prefix, _colon, local = name.partition(":")
    element = SubElement(parent, f"{{{CAC if prefix == 'cac' else CBC}}}{local}", attrs)
    if text is not None:
        element.text = text
    return element


def _party_out(parent: Element, name: str, gln: str, party_name: str) -> None:
    party = _el(_el(parent, name), "cac:Party")
    if gln:
        _el(party, "cbc:EndpointID", gln, schemeID=GLN_SCHEME)
        _el(_el(party, "cac:PartyIdentification"), "cbc:ID", gln, schemeID=GLN_SCHEME)
    if party_name:
        _el(_el(party, "cac:PartyName"), "cbc:Name", party_name)


def write_order_response(answer, *, order: EdiOrder, our_id: str, our_name: str, now: dt.datetime) -> str:
    root = Element(f"{{{RESPONSE_NS}}}OrderResponse")
    _el(root, "cbc:CustomizationID", "urn:fdc:peppol.eu:poacc:trns:order_response:3")
    _el(root, "cbc:ProfileID", "urn:fdc:peppol.eu:poacc:bis:ordering:3")
    _el(root, "cbc:ID", answer.number)
    _el(root, "cbc:IssueDate", now.date().isoformat())
    _el(root, "cbc:IssueTime", now.strftime("%H:%M:%S"))
    _el(root, "cbc:OrderResponseCode", RESPONSE_CODE[answer.status])
    if answer.note:
        _el(root, "cbc:Note", answer.note)
    if answer.currency:
        _el(root, "cbc:DocumentCurrencyCode", answer.currency)
    _el(_el(root, "cac:OrderReference"), "cbc:ID", order.document_number)
    _party_out(root, "cac:SellerSupplierParty", our_id, our_name)
    _party_out(root, "cac:BuyerCustomerParty", order.buyer.gln, order.buyer.name)
    for line in answer.lines:
        order_line = _el(root, "cac:OrderLine")
        item = _el(order_line, "cac:LineItem")
        _el(item, "cbc:ID", line.source.line_id)
        if line.message:
            _el(item, "cbc:Note", line.message)
        _el(item, "cbc:LineStatusCode", LINE_STATUS[line.status])
        quantity = line.quantity if line.quantity is not None else line.source.quantity
        _el(item, "cbc:Quantity", format(quantity.normalize(), "f"), unitCode=line.source.unit or "C62")
        if line.net_price is not None:
            price = _el(item, "cac:Price")
            _el(price, "cbc:PriceAmount", format(line.net_price, "f"), currencyID=answer.currency or "TRY")
        item_el = _el(item, "cac:Item")
        if line.source.buyer_code:
            _el(_el(item_el, "cac:BuyersItemIdentification"), "cbc:ID", line.source.buyer_code)
        if line.sku:
            _el(_el(item_el, "cac:SellersItemIdentification"), "cbc:ID", line.sku)
        _el(_el(order_line, "cac:OrderLineReference"), "cbc:LineID", line.source.line_id)
    body = tostring(root, encoding="unicode")
    # Only the root is in the document's own namespace: written unprefixed, as UBL examples are.
    body = body.replace("<rsp:", "<", 1).replace("</rsp:", "</", 1).replace("xmlns:rsp=", "xmlns=", 1)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
