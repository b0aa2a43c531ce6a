"""UN/EDIFACT ORDERS (directories D.96A and D.01B) in, ORDRSP out.

The tokenizer follows ISO 9735 (syntax versions 3 and 4): an optional UNA service string advice sets the
component separator, data element separator, decimal mark, release character and segment terminator (defaults
``:+.? '``); the release character makes the next character literal; white space between segments (line breaks
after ``'``) is ignored. Every error names the segment by its position and tag and the element (and component)
as ``NNN`` numbers — "segment 7 (QTY), element 1.2" — so the sender can find it.

ORDERS segments read (UN/EDIFACT D.96A ORDERS message, segment table): UNB (0004 sender, 0020 interchange
control reference), UNH (0065 ORDERS, 0052 D, 0054 96A/01B), BGM (1004 document number), DTM (2005 137 message
date, 2 requested delivery), RFF+ON (order number), NAD (3035 BY/SU/DP, C082 party id with 3055 = 9 for GS1 GLN)
and its RFF+VA/FC (tax number), CUX, LIN (1082 line number, C212 7140 item number with 7143 EN/SRV = GTIN), PIA
(C212 with 7143 IN/BP = buyer's code, SA = seller's code, EN/SRV = GTIN), IMD, QTY (6063 21 ordered, 6060,
6411), PRI (5118), UNS, UNT (0074 segment count), UNZ (0036 message count, 0020 repeated).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from orders.edi.message import EdiLine, EdiOrder, EdiParty, EdiSyntaxError

DEFAULT_SERVICE = ":+.? '"
VERSIONS = ("96A", "01B")
BUYER_CODES = ("IN", "BP")
SELLER_CODES = ("SA",)
GTIN_CODES = ("EN", "SRV")
MAX_SEGMENTS = 20_000


@dataclass(frozen=True)
class Service:
    component: str = ":"
    element: str = "+"
    decimal: str = "."
    release: str = "?"
    terminator: str = "'"


@dataclass(frozen=True)
class Segment:
    position: int
    tag: str
    elements: list[list[str]]

    def where(self, element: int | None = None, component: int | None = None) -> str:
        where = f"segment {self.position} ({self.tag})"
        if element is not None:
            where += f", element {element}" + (f".{component}" if component is not None else "")
        return where

    def get(self, element: int, component: int = 1) -> str:
        """Element and component counted from 1 after the tag, as the directories number them; "" when absent."""
        if element > len(self.elements):
            return ""
        parts = self.elements[element - 1]
        return parts[component - 1] if component <= len(parts) else ""

    def need(self, element: int, component: int = 1, what: str = "") -> str:
        value = self.get(element, component)
        if not value:
            raise EdiSyntaxError(self.where(element, component), f"{what or 'a value'} is required")
        return value


def tokenize(text: str) -> tuple[Service, list[Segment]]:
    """The segments of an interchange; refuses an unterminated last segment or a release character at the end."""
    service = Service()
    body = text.lstrip("\ufeff \r\n\t")
    if body.startswith("UNA"):
        if len(body) < 9:
            raise EdiSyntaxError("segment 1 (UNA)", "the service string advice needs six characters")
        chars = body[3:9]
        service = Service(chars[0], chars[1], chars[2], chars[3], chars[5])
        if len(set(chars[:2] + chars[3] + chars[5])) != 4:
            raise EdiSyntaxError("segment 1 (UNA)", "separators, release character and terminator must differ")
        body = body[9:]
    segments: list[Segment] = []
    elements: list[list[str]] = [[""]]
    released = False
    started = False
    for char in body:
        if not started and char in " \r\n\t":
            continue
        started = True
        if released:
            elements[-1][-1] += char
            released = False
        elif char == service.release and service.release != " ":
            released = True
        elif char == service.terminator:
            _close(segments, elements, service)
            elements, started = [[""]], False
            if len(segments) > MAX_SEGMENTS:
                raise EdiSyntaxError(f"segment {len(segments)}", f"more than {MAX_SEGMENTS} segments")
        elif char == service.element:
            elements.append([""])
        elif char == service.component:
            elements[-1].append("")
        elif char in "\r\n":
            continue
        else:
            elements[-1][-1] += char
    if released:
        raise EdiSyntaxError(f"segment {len(segments) + 1}", "the message ends with a release character")
    if started:
        tag = elements[0][0] or "?"
        raise EdiSyntaxError(f"segment {len(segments) + 1} ({tag})", "the segment is not terminated")
    return service, segments


def _close(segments: list[Segment], elements: list[list[str]], service: Service) -> None:
    tag = elements[0][0]
    position = len(segments) + 1
    if len(tag) != 3 or not tag.isalpha() or not tag.isupper() or len(elements[0]) > 1:
        raise EdiSyntaxError(f"segment {position}", f"“{tag[:10]}” is not a segment tag")
    segments.append(Segment(position, tag, elements[1:]))


def _decimal(segment: Segment, element: int, component: int, service: Service, what: str) -> Decimal:
    text = segment.need(element, component, what)
    try:
        value = Decimal(text.replace(service.decimal, ".").replace(",", "."))
    except InvalidOperation:
        raise EdiSyntaxError(segment.where(element, component), f"“{text}” is not a number") from None
    if not value.is_finite():
        raise EdiSyntaxError(segment.where(element, component), f"“{text}” is not a number")
    return value


def _date(segment: Segment) -> dt.date:
    text, fmt = segment.need(1, 2, "a date"), segment.get(1, 3) or "102"
    patterns = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "101": "%y%m%d"}
    try:
        return dt.datetime.strptime(text, patterns[fmt]).date()
    except (KeyError, ValueError):
        raise EdiSyntaxError(segment.where(1, 2), f"“{text}” is not a date in format {fmt}") from None


def parse_orders(text: str) -> EdiOrder:
    """The order in an interchange holding one ORDERS message."""
    service, segments = tokenize(text)
    if not segments or segments[0].tag != "UNB":
        raise EdiSyntaxError("segment 1", "an interchange starts with UNB")
    unb = segments[0]
    sender = unb.need(2, 1, "the sender (0004)")
    reference = unb.need(5, 1, "the interchange control reference (0020)")
    if segments[-1].tag != "UNZ":
        raise EdiSyntaxError(segments[-1].where(), "an interchange ends with UNZ")
    unz = segments[-1]
    if unz.get(2) != reference:
        raise EdiSyntaxError(unz.where(2), f"the control reference “{unz.get(2)}” differs from UNB's “{reference}”")
    messages = [s for s in segments if s.tag == "UNH"]
    if len(messages) != 1:
        raise EdiSyntaxError(unz.where(1), f"one ORDERS message per interchange is read, found {len(messages)}")
    if unz.get(1) != "1":
        raise EdiSyntaxError(unz.where(1), f"the message count “{unz.get(1)}” should be 1")
    unh = messages[0]
    if unh.get(2, 1) != "ORDERS":
        raise EdiSyntaxError(unh.where(2, 1), f"“{unh.get(2, 1)}” is not an ORDERS message")
    if unh.get(2, 2) != "D" or unh.get(2, 3) not in VERSIONS:
        version = f"{unh.get(2, 2)}:{unh.get(2, 3)}"
        raise EdiSyntaxError(unh.where(2, 3), f"directory “{version}” is not read; send D.96A or D.01B")
    body = segments[unh.position : len(segments) - 1]
    unt = body[-1] if body else unz
    if unt.tag != "UNT":
        raise EdiSyntaxError(unt.where(), "the message ends with UNT")
    count = unt.position - unh.position + 1
    if unt.get(1) != str(count):
        raise EdiSyntaxError(unt.where(1), f"the segment count “{unt.get(1)}” should be {count}")
    if unt.get(2) != unh.get(1):
        raise EdiSyntaxError(unt.where(2), f"the message reference “{unt.get(2)}” differs from UNH's “{unh.get(1)}”")
    return _orders(
        service,
        body[:-1],
        sender=sender,
        sender_qualifier=unb.get(2, 2),
        reference=reference,
        version=unh.get(2, 3),
    )


def _orders(
    service: Service, segments: list[Segment], *, sender: str, sender_qualifier: str, reference: str, version: str
) -> EdiOrder:
    order = EdiOrder(format="edifact", sender=sender, reference=reference, document_number="", buyer=EdiParty())
    order.syntax = {"version": version, "service": service, "sender_qualifier": sender_qualifier}
    parties: dict[str, dict[str, str]] = {}
    current_party = ""
    line: dict | None = None
    lines: list[dict] = []
    for segment in segments:
        tag = segment.tag
        if tag == "BGM":
            order.document_number = segment.need(2, 1, "the order number (1004)")
        elif tag == "DTM" and line is None:
            qualifier = segment.get(1, 1)
            if qualifier == "137":
                order.issue_date = _date(segment)
            elif qualifier in ("2", "64"):
                order.delivery_date = _date(segment)
        elif tag == "RFF" and segment.get(1, 1) == "ON" and line is None and not current_party:
            order.document_number = order.document_number or segment.get(1, 2)
        elif tag == "NAD":
            current_party = segment.need(1, 1, "the party qualifier (3035)")
            party = parties.setdefault(current_party, {"gln": "", "tax": "", "name": ""})
            if segment.get(2, 3) == "9" or (segment.get(2, 1).isdigit() and len(segment.get(2, 1)) == 13):
                party["gln"] = segment.get(2, 1)
            party["name"] = segment.get(4, 1) or segment.get(3, 1)
        elif tag == "RFF" and current_party and segment.get(1, 1) in ("VA", "FC", "GN"):
            parties[current_party]["tax"] = _tax_digits(segment.get(1, 2))
        elif tag == "CUX":
            order.currency = segment.get(1, 2)
        elif tag == "FTX" and line is None:
            texts = segment.elements[3] if len(segment.elements) > 3 else []
            order.note = " ".join(filter(None, [order.note, *texts]))
        elif tag == "LIN":
            current_party = ""
            line = {"id": segment.need(1, 1, "the line number (1082)"), "segment": segment}
            _item_number(line, segment.get(3, 1), segment.get(3, 2))
            lines.append(line)
        elif tag == "PIA" and line is not None:
            for element in range(2, len(segment.elements) + 1):
                _item_number(line, segment.get(element, 1), segment.get(element, 2))
        elif tag == "IMD" and line is not None:
            line["description"] = segment.get(3, 4)
        elif tag == "QTY" and line is not None and segment.get(1, 1) in ("21", "1"):
            line["quantity"] = _decimal(segment, 1, 2, service, "the quantity (6060)")
            line["unit"] = segment.get(1, 3)
            line["qty_segment"] = segment
        elif tag == "PRI" and line is not None and segment.get(1, 1) in ("AAA", "AAB") and segment.get(1, 2):
            line.setdefault("price", _decimal(segment, 1, 2, service, "the price (5118)"))
        elif tag == "UNS":
            line, current_party = None, ""
    for who, attribute in (("BY", "buyer"), ("SU", "seller"), ("DP", "delivery")):
        found = parties.get(who)
        if found:
            setattr(order, attribute, EdiParty(gln=found["gln"], tax_number=found["tax"], name=found["name"]))
    if "BY" not in parties:
        raise EdiSyntaxError("NAD", "the buyer (NAD+BY) is missing")
    if not order.document_number:
        raise EdiSyntaxError("BGM", "the order number (BGM 1004) is missing")
    if not lines:
        raise EdiSyntaxError("LIN", "the order has no lines")
    for found in lines:
        if "quantity" not in found:
            raise EdiSyntaxError(found["segment"].where(), f"line {found['id']} has no ordered quantity (QTY+21)")
        if found["quantity"] <= 0:
            raise EdiSyntaxError(found["qty_segment"].where(1, 2), "the quantity must be above zero")
        if not (found.get("buyer") or found.get("seller") or found.get("gtin")):
            raise EdiSyntaxError(found["segment"].where(3, 1), f"line {found['id']} names no item")
        order.lines.append(
            EdiLine(
                line_id=found["id"],
                quantity=found["quantity"],
                unit=found.get("unit", ""),
                buyer_code=found.get("buyer", ""),
                seller_code=found.get("seller", ""),
                gtin=found.get("gtin", ""),
                description=found.get("description", ""),
                price=found.get("price"),
            )
        )
    return order


def _tax_digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _item_number(line: dict, number: str, kind: str) -> None:
    if not number:
        return
    if kind in BUYER_CODES:
        line.setdefault("buyer", number)
    elif kind in SELLER_CODES:
        line.setdefault("seller", number)
    elif kind in GTIN_CODES or not kind:
        line.setdefault("gtin", number)


# -- ORDRSP ---------------------------------------------------------------------------------------------------

# 1225 message function: 29 accepted without amendment, 4 change, 27 not accepted.
ORDRSP_FUNCTION = {"accepted": "29", "changed": "4", "rejected": "27"}
# 1229 action request: 5 accepted without amendment, 3 changed, 7 not accepted.
LINE_ACTION = {"accepted": "5", "changed": "3", "rejected": "7"}


def escape(text: str, service: Service = Service()) -> str:
    specials = {service.release, service.element, service.component, service.terminator}
    return "".join(service.release + char if char in specials else char for char in str(text))


def write_ordrsp(answer, *, order: EdiOrder, our_id: str, control: str, now: dt.datetime) -> str:
    """The ORDRSP for ``answer`` (``orders.edi.intake.Answer``), in the version the order came in."""
    version = order.syntax.get("version", "96A")
    # The answer goes back to the sender as it named itself (UNB 0007: 14 = GLN, ZZZ = mutually agreed).
    qualifier = order.syntax.get("sender_qualifier") or "14"
    e = escape
    segments = [
        f"UNH+1+ORDRSP:D:{version}:UN",
        f"BGM+231+{e(answer.number)}+{ORDRSP_FUNCTION[answer.status]}",
        f"DTM+137:{now:%Y%m%d}:102",
        f"RFF+ON:{e(order.document_number)}",
    ]
    if order.buyer.gln:
        segments.append(f"NAD+BY+{e(order.buyer.gln)}::9")
    if our_id:
        segments.append(f"NAD+SU+{e(our_id)}::9")
    if answer.note:
        segments.append(f"FTX+AAI+++{e(answer.note[:350])}")
    if answer.currency:
        segments.append(f"CUX+2:{e(answer.currency)}:9")
    for number, line in enumerate(answer.lines, start=1):
        item = e(line.source.gtin) + ":SRV" if line.source.gtin else ""
        segments.append(f"LIN+{number}+{LINE_ACTION[line.status]}+{item}".rstrip("+"))
        codes = [f"{e(line.sku)}:SA"] if line.sku else []
        if line.source.buyer_code:
            codes.append(f"{e(line.source.buyer_code)}:IN")
        if codes:
            segments.append("PIA+5+" + "+".join(codes))
        quantity = line.quantity if line.quantity is not None else line.source.quantity
        unit = f":{e(line.source.unit)}" if line.source.unit else ""
        segments.append(f"QTY+21:{_number(quantity)}{unit}")
        if line.net_price is not None:
            segments.append(f"PRI+AAA:{_number(line.net_price)}")
        segments.append(f"RFF+LI:{e(line.source.line_id)}")
        if line.message:
            segments.append(f"FTX+LIN+++{e(line.message[:350])}")
    segments.append("UNS+S")
    segments.append(f"CNT+2:{len(answer.lines)}")
    segments.append(f"UNT+{len(segments) + 1}+1")
    header = [
        "UNA:+.? ",
        f"UNB+UNOC:3+{e(our_id or 'PORTAL')}:{'14' if our_id else 'ZZZ'}+{e(order.sender)}:{e(qualifier)}"
        f"+{now:%y%m%d}:{now:%H%M}+{e(control)}",
    ]
    return "'\n".join([*header, *segments, f"UNZ+1+{e(control)}"]) + "'\n"


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
