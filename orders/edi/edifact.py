"""UN/EDIFACT ORDERS (directories D.96A and D.01B) in; ORDRSP and the CONTRL syntax report out.

The tokenizer follows ISO 9735 (syntax versions 3 and 4): an optional UNA service string advice sets the
component separator, data element separator, decimal mark, release character and segment terminator (defaults
``:+.? '``); the release character makes the next character literal; white space between segments (line breaks
after ``'``) is ignored. Every error names the segment by its position and tag and the element (and component)
as ``NNN`` numbers — "segment 7 (QTY), element 1.2" — so the sender can find it, and carries the ISO 9735 syntax
error code (0085) the CONTRL report gives back.

An interchange (UNB…UNZ) holds one or more ORDERS messages (UNH…UNT), each read into its own ``EdiOrder``. The
envelope is checked as ISO 9735 asks: UNZ 0036 counts the messages and UNZ 0020 repeats UNB 0020; each UNT 0074
counts its message's segments (UNH and UNT included) and UNT 0062 repeats UNH 0062; message references are unique
within the interchange; a segment outside a message, a functional group (UNG) or a message inside a message is
refused. Any such error, in any message, refuses the whole interchange (``EdiSyntaxError``): nothing of it is
placed.

ORDERS segments read (UN/EDIFACT D.96A ORDERS message, segment table): UNB (S001 syntax identifier and version,
0004 sender, 0010 recipient, 0020 interchange control reference, 0031 acknowledgement request), UNH (0062 message
reference, 0065 ORDERS, 0052 D, 0054 96A/01B), BGM (1004 document number), DTM (2005 137 message date, 2
requested delivery), RFF+ON (order number), NAD (3035 BY/SU/DP, C082 party id with 3055 = 9 for GS1 GLN) and
its RFF+VA/FC (tax number), CUX, LIN (1082 line number, C212 7140 item number with 7143 EN/SRV = GTIN), PIA
(C212 with 7143 IN/BP = buyer's code, SA = seller's code, EN/SRV = GTIN), IMD, QTY (6063 21 ordered, 6060,
6411), PRI (5118), UNS, UNT (0074 segment count), UNZ (0036 message count, 0020 repeated).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from orders.edi.message import EdiLine, EdiOrder, EdiParty, EdiSyntaxError

DEFAULT_SERVICE = ":+.? '"
VERSIONS = ("96A", "01B")
BUYER_CODES = ("IN", "BP")
SELLER_CODES = ("SA",)
GTIN_CODES = ("EN", "SRV")
MAX_SEGMENTS = 20_000

# ISO 9735 syntax error codes (data element 0085; ISO 9735-4 annex A, service code list
# https://service.gefeg.com/jwg1/Archive/cl/v4x/40202/cl15.htm).
INVALID_VALUE = "12"
MISSING = "13"
VALUE_NOT_SUPPORTED = "14"
NOT_SUPPORTED_HERE = "15"
TOO_MANY_CONSTITUENTS = "16"
UNSPECIFIED = "18"
INVALID_SERVICE_CHARACTERS = "22"
CHARACTER_INVALID_AS_SERVICE = "20"
DUPLICATE = "26"
REFERENCES_DIFFER = "28"
COUNT_DIFFERS = "29"
LOWER_LEVEL_EMPTY = "32"
OUTSIDE_MESSAGE = "33"
TOO_MANY_REPETITIONS = "35"

# The most data elements each segment read here has in D.96A/D.01B (segment directories); more is error 16.
MAX_ELEMENTS = {
    "UNH": 7,
    "UNT": 2,
    "BGM": 4,
    "DTM": 1,
    "RFF": 1,
    "NAD": 10,
    "CUX": 4,
    "FTX": 5,
    "LIN": 6,
    "PIA": 6,
    "IMD": 3,
    "QTY": 1,
    "PRI": 2,
    "UNS": 1,
    "CNT": 1,
}
# The most components of the composites whose values are read as numbers or dates (C186 quantity, C507 date).
MAX_COMPONENTS = {("QTY", 1): 3, ("DTM", 1): 3}
# Segments a message may hold once (the rest of D.96A ORDERS' once-only segments are not read).
ONCE = ("BGM", "UNS")


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

    def error(
        self, message: str, element: int | None = None, component: int | None = None, *, code: str = INVALID_VALUE
    ) -> EdiSyntaxError:
        return EdiSyntaxError(
            self.where(element, component),
            message,
            code=code,
            position=self.position,
            tag=self.tag,
            element=element,
            component=component,
        )

    def get(self, element: int, component: int = 1) -> str:
        """Element and component counted from 1 after the tag, as the directories number them; "" when absent."""
        if element > len(self.elements):
            return ""
        parts = self.elements[element - 1]
        return parts[component - 1] if component <= len(parts) else ""

    def need(self, element: int, component: int = 1, what: str = "") -> str:
        value = self.get(element, component)
        if not value:
            raise self.error(f"{what or 'a value'} is required", element, component, code=MISSING)
        return value


@dataclass(frozen=True)
class MessageHeader:
    """One UNH…UNT as found: 0062 reference, S009 identifier, where it starts and ends (0 while unterminated)."""

    reference: str
    identifier: list[str]
    start: int
    end: int = 0


@dataclass
class Envelope:
    """What UNB says about the interchange, and the messages found in it — enough to address a CONTRL report
    even when the rest cannot be read."""

    sender: str
    sender_qualifier: str
    recipient: str
    recipient_qualifier: str
    reference: str
    syntax_version: str
    acknowledgement_requested: bool
    messages: list[MessageHeader] = field(default_factory=list)


@dataclass
class Interchange:
    envelope: Envelope
    orders: list[EdiOrder]


def tokenize(text: str) -> tuple[Service, list[Segment]]:
    """The segments of an interchange; refuses an unterminated last segment or a release character at the end."""
    segments: list[Segment] = []
    try:
        return _tokenize(text, segments)
    except EdiSyntaxError as exc:
        # The segments read before the error still address the CONTRL report.
        exc.segments = segments
        raise


def _tokenize(text: str, segments: list[Segment]) -> tuple[Service, list[Segment]]:
    service = Service()
    body = text.lstrip("\ufeff \r\n\t")
    if body.startswith("UNA"):
        if len(body) < 9:
            raise EdiSyntaxError(
                "segment 1 (UNA)", "the service string advice needs six characters", code=MISSING, tag="UNA"
            )
        chars = body[3:9]
        service = Service(chars[0], chars[1], chars[2], chars[3], chars[5])
        if len(set(chars[:2] + chars[3] + chars[5])) != 4:
            raise EdiSyntaxError(
                "segment 1 (UNA)",
                "separators, release character and terminator must differ",
                code=CHARACTER_INVALID_AS_SERVICE,
                tag="UNA",
            )
        body = body[9:]
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
                raise EdiSyntaxError(
                    f"segment {len(segments)}", f"more than {MAX_SEGMENTS} segments", code=TOO_MANY_REPETITIONS
                )
        elif char == service.element:
            elements.append([""])
        elif char == service.component:
            elements[-1].append("")
        elif char in "\r\n":
            continue
        else:
            elements[-1][-1] += char
    position = len(segments) + 1
    if released:
        raise EdiSyntaxError(
            f"segment {position}",
            "the message ends with a release character",
            code=INVALID_SERVICE_CHARACTERS,
            position=position,
        )
    if started:
        tag = elements[0][0] or "?"
        raise EdiSyntaxError(
            f"segment {position} ({tag})",
            "the segment is not terminated",
            code=INVALID_SERVICE_CHARACTERS,
            position=position,
            tag=tag if tag in ("UNB", "UNZ") else "",
        )
    return service, segments


def _close(segments: list[Segment], elements: list[list[str]], service: Service) -> None:
    tag = elements[0][0]
    position = len(segments) + 1
    if len(tag) != 3 or not tag.isalpha() or not tag.isupper() or len(elements[0]) > 1:
        raise EdiSyntaxError(
            f"segment {position}", f"“{tag[:10]}” is not a segment tag", code=INVALID_VALUE, position=position
        )
    segments.append(Segment(position, tag, elements[1:]))


def _decimal(segment: Segment, element: int, component: int, service: Service, what: str) -> Decimal:
    text = segment.need(element, component, what)
    try:
        value = Decimal(text.replace(service.decimal, ".").replace(",", "."))
    except InvalidOperation:
        raise segment.error(f"“{text}” is not a number", element, component) from None
    if not value.is_finite():
        raise segment.error(f"“{text}” is not a number", element, component)
    return value


def _date(segment: Segment) -> dt.date:
    text, fmt = segment.need(1, 2, "a date"), segment.get(1, 3) or "102"
    patterns = {"102": "%Y%m%d", "203": "%Y%m%d%H%M", "101": "%y%m%d"}
    try:
        return dt.datetime.strptime(text, patterns[fmt]).date()
    except (KeyError, ValueError):
        raise segment.error(f"“{text}” is not a date in format {fmt}", 1, 2) from None


def _envelope(segments: list[Segment]) -> Envelope | None:
    """The interchange header, when the first segment is a UNB naming a sender and a reference."""
    if not segments or segments[0].tag != "UNB":
        return None
    unb = segments[0]
    envelope = Envelope(
        sender=unb.get(2, 1),
        sender_qualifier=unb.get(2, 2),
        recipient=unb.get(3, 1),
        recipient_qualifier=unb.get(3, 2),
        reference=unb.get(5, 1),
        syntax_version=unb.get(1, 2),
        # UNB 0031 (element 9): 1 = the sender asks for an acknowledgement.
        acknowledgement_requested=unb.get(9, 1) == "1",
    )
    if not (envelope.sender and envelope.reference):
        return None
    for segment in segments[1:]:
        if segment.tag == "UNH":
            envelope.messages.append(
                MessageHeader(
                    segment.get(1), segment.elements[1] if len(segment.elements) > 1 else [], segment.position
                )
            )
        elif segment.tag == "UNT" and envelope.messages and not envelope.messages[-1].end:
            last = envelope.messages[-1]
            envelope.messages[-1] = MessageHeader(last.reference, last.identifier, last.start, segment.position)
    return envelope


def parse_interchange(text: str) -> Interchange:
    """Every ORDERS message of an interchange, each as its own ``EdiOrder``; ``EdiSyntaxError`` (with the
    ``envelope`` when UNB could be read) when anything in it cannot be read — then nothing of it is used."""
    try:
        service, segments = tokenize(text)
    except EdiSyntaxError as exc:
        exc.envelope = _envelope(getattr(exc, "segments", []))
        raise
    envelope = _envelope(segments)
    try:
        return Interchange(envelope, _read(service, segments))
    except EdiSyntaxError as exc:
        exc.envelope = envelope
        raise


def _read(service: Service, segments: list[Segment]) -> list[EdiOrder]:
    if not segments or segments[0].tag != "UNB":
        raise EdiSyntaxError("segment 1", "an interchange starts with UNB", code=MISSING, position=1)
    unb = segments[0]
    sender = unb.need(2, 1, "the sender (0004)")
    reference = unb.need(5, 1, "the interchange control reference (0020)")
    if segments[-1].tag != "UNZ":
        raise segments[-1].error("an interchange ends with UNZ", code=MISSING)
    unz = segments[-1]
    if unz.get(2) != reference:
        raise unz.error(
            f"the control reference “{unz.get(2)}” differs from UNB's “{reference}”", 2, code=REFERENCES_DIFFER
        )
    messages = _messages(segments[1:-1])
    if not messages:
        raise unz.error("the interchange holds no message", code=LOWER_LEVEL_EMPTY)
    if unz.get(1) != str(len(messages)):
        raise unz.error(f"the message count “{unz.get(1)}” should be {len(messages)}", 1, code=COUNT_DIFFERS)
    orders = []
    for body in messages:
        orders.append(_message(service, unb, body, sender=sender, reference=reference))
    return orders


def _messages(segments: list[Segment]) -> list[list[Segment]]:
    """The segments between UNB and UNZ cut into UNH…UNT runs; anything else there is refused."""
    messages: list[list[Segment]] = []
    current: list[Segment] | None = None
    seen: set[str] = set()
    for segment in segments:
        if segment.tag in ("UNB", "UNG", "UNE", "UNZ"):
            raise segment.error(f"{segment.tag} is not supported here", code=NOT_SUPPORTED_HERE)
        if segment.tag == "UNH":
            if current is not None:
                raise segment.error("a message starts before the one before it ended with UNT", code=NOT_SUPPORTED_HERE)
            number = segment.need(1, 1, "the message reference (0062)")
            if number in seen:
                raise segment.error(f"the message reference “{number}” is used twice", 1, code=DUPLICATE)
            seen.add(number)
            current = [segment]
        elif current is None:
            raise segment.error("the segment is outside a message (UNH…UNT)", code=OUTSIDE_MESSAGE)
        else:
            current.append(segment)
            if segment.tag == "UNT":
                messages.append(current)
                current = None
    if current is not None:
        unh = current[0]
        raise unh.error(f"message “{unh.get(1)}” does not end with UNT", code=MISSING)
    return messages


def _message(service: Service, unb: Segment, body: list[Segment], *, sender: str, reference: str) -> EdiOrder:
    unh, unt = body[0], body[-1]
    try:
        if len(unh.elements) > MAX_ELEMENTS["UNH"]:
            raise unh.error("too many data elements", MAX_ELEMENTS["UNH"] + 1, code=TOO_MANY_CONSTITUENTS)
        if unh.get(2, 1) != "ORDERS":
            raise unh.error(f"“{unh.get(2, 1)}” is not an ORDERS message", 2, 1, code=VALUE_NOT_SUPPORTED)
        if unh.get(2, 2) != "D" or unh.get(2, 3) not in VERSIONS:
            version = f"{unh.get(2, 2)}:{unh.get(2, 3)}"
            raise unh.error(f"directory “{version}” is not read; send D.96A or D.01B", 2, 3, code=VALUE_NOT_SUPPORTED)
        count = len(body)
        if unt.get(1) != str(count):
            raise unt.error(f"the segment count “{unt.get(1)}” should be {count}", 1, code=COUNT_DIFFERS)
        if unt.get(2) != unh.get(1):
            raise unt.error(
                f"the message reference “{unt.get(2)}” differs from UNH's “{unh.get(1)}”", 2, code=REFERENCES_DIFFER
            )
        order = _orders(
            service,
            body[1:-1],
            sender=sender,
            sender_qualifier=unb.get(2, 2),
            reference=reference,
            version=unh.get(2, 3),
        )
    except EdiSyntaxError as exc:
        exc.message_reference = unh.get(1)
        raise
    order.message_reference = unh.get(1)
    return order


def _constituents(segment: Segment) -> None:
    most = MAX_ELEMENTS.get(segment.tag)
    if most is not None and len(segment.elements) > most:
        raise segment.error("too many data elements", most + 1, code=TOO_MANY_CONSTITUENTS)
    for (tag, element), most in MAX_COMPONENTS.items():
        if segment.tag == tag and len(segment.elements) >= element and len(segment.elements[element - 1]) > most:
            raise segment.error("too many components", element, most + 1, code=TOO_MANY_CONSTITUENTS)


def _orders(
    service: Service, segments: list[Segment], *, sender: str, sender_qualifier: str, reference: str, version: str
) -> EdiOrder:
    order = EdiOrder(format="edifact", sender=sender, reference=reference, document_number="", buyer=EdiParty())
    order.syntax = {"version": version, "service": service, "sender_qualifier": sender_qualifier}
    parties: dict[str, dict[str, str]] = {}
    current_party = ""
    line: dict | None = None
    lines: list[dict] = []
    once: set[str] = set()
    for segment in segments:
        tag = segment.tag
        _constituents(segment)
        if tag in ONCE:
            if tag in once:
                raise segment.error(f"{tag} may occur once in a message", code=TOO_MANY_REPETITIONS)
            once.add(tag)
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
            # The delivery point is matched by GLN: another kind of id is kept so the refusal can name it.
            if (
                current_party == "DP"
                or segment.get(2, 3) == "9"
                or (segment.get(2, 1).isdigit() and len(segment.get(2, 1)) == 13)
            ):
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
        raise EdiSyntaxError("NAD", "the buyer (NAD+BY) is missing", code=MISSING)
    if not order.document_number:
        raise EdiSyntaxError("BGM", "the order number (BGM 1004) is missing", code=MISSING)
    if not lines:
        raise EdiSyntaxError("LIN", "the order has no lines", code=MISSING)
    for found in lines:
        if "quantity" not in found:
            raise found["segment"].error(f"line {found['id']} has no ordered quantity (QTY+21)", code=MISSING)
        if found["quantity"] <= 0:
            raise found["qty_segment"].error("the quantity must be above zero", 1, 2)
        if not (found.get("buyer") or found.get("seller") or found.get("gtin")):
            raise found["segment"].error(f"line {found['id']} names no item", 3, 1, code=MISSING)
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


def _ordrsp(answer, *, order: EdiOrder, our_id: str, reference: int, now: dt.datetime) -> list[str]:
    """One ORDRSP message (UNH…UNT) for ``answer`` (``orders.edi.intake.Answer``), in the order's directory."""
    version = order.syntax.get("version", "96A")
    e = escape
    segments = [
        f"UNH+{reference}+ORDRSP:D:{version}:UN",
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
    segments.append(f"UNT+{len(segments) + 1}+{reference}")
    return segments


def _unb(*, recipient: str, qualifier: str, our_id: str, control: str, now: dt.datetime, version: str = "3") -> str:
    e = escape
    # The answer goes back to the sender as it named itself (UNB 0007: 14 = GLN, ZZZ = mutually agreed).
    return (
        f"UNB+UNOC:{version}+{e(our_id or 'PORTAL')}:{'14' if our_id else 'ZZZ'}+{e(recipient)}:{e(qualifier or '14')}"
        f"+{now:%y%m%d}:{now:%H%M}+{e(control)}"
    )


def write_ordrsp(answers: list, *, our_id: str, control: str, now: dt.datetime) -> str:
    """One interchange answering every message of an ORDERS interchange: ``answers`` holds (``Answer``,
    ``EdiOrder``) pairs in the order the messages came, each answered by its own ORDRSP."""
    first = answers[0][1]
    messages = [
        segment
        for number, (answer, order) in enumerate(answers, start=1)
        for segment in _ordrsp(answer, order=order, our_id=our_id, reference=number, now=now)
    ]
    header = [
        "UNA:+.? ",
        _unb(
            recipient=first.sender,
            qualifier=first.syntax.get("sender_qualifier", ""),
            our_id=our_id,
            control=control,
            now=now,
        ),
    ]
    return "'\n".join([*header, *messages, f"UNZ+{len(answers)}+{escape(control)}"]) + "'\n"


# -- CONTRL -----------------------------------------------------------------------------------------------------
#
# The syntax and service report message, ISO 9735-4 (UN/ECE TRADE/WP.4/R.1244/Rev.1, "Part 4: Syntax and service
# report message for batch EDI (message type CONTRL)", http://www.unece.org/trade/untdid/download/r1244r1.txt;
# segment layout as in implementation guides such as Ford's "CONTRL V4.1"):
#   UCI  interchange response: 0020 reference, S002 sender, S003 recipient (both as in the UNB answered),
#        0083 action, 0085 syntax error, 0013 service segment tag (UNA/UNB/UNZ), S011 data element position
#   UCM  message response: 0062 reference, S009 message identifier, 0083 action, 0085, 0013 (UNH/UNT), S011
#   UCS  segment error: 0096 segment position in the message (UNH = 1), 0085 when the whole segment is in error
#   UCD  data element error: 0085, S011 (0098 element position : 0104 component position)
# Action 0083: 7 = this level acknowledged (and the lower levels unless rejected), 4 = this level and all lower
# levels rejected. The message identifier: CONTRL:D:3:UN for syntax version 3 (and 2), CONTRL:4:1:UN for 4.
ACKNOWLEDGED = "7"
REJECTED = "4"
CONTRL_VERSION = {"4": "CONTRL:4:1:UN"}


def _s011(element: int | None, component: int | None) -> str:
    if element is None:
        return ""
    return f"{element}:{component}" if component is not None else str(element)


def write_contrl(
    envelope: Envelope,
    *,
    error: EdiSyntaxError | None,
    our_id: str,
    control: str,
    now: dt.datetime,
    rejected: frozenset[str] = frozenset(),
) -> str:
    """The CONTRL interchange for ``envelope``: acknowledged (UCI action 7, every message 7 — a message refused for
    its content is answered by its ORDRSP, not here), or rejected (4) for ``error``, which is placed where ISO
    9735-4 puts it: in UCI for UNA/UNB/UNZ and segments outside messages, in the message's UCM for UNH/UNT and
    message-level errors, in UCS/UCD (segment position in the message, element:component) for segments inside a
    message. ``rejected`` names messages to report as rejected although the interchange was read."""
    e = escape
    version = envelope.syntax_version if envelope.syntax_version in ("3", "4") else "3"
    uci = [e(envelope.reference), _party(envelope.sender, envelope.sender_qualifier)]
    uci.append(_party(envelope.recipient, envelope.recipient_qualifier))
    inside = _message_of(envelope, error) if error is not None else None
    if error is None:
        uci.append(ACKNOWLEDGED)
    elif inside is None and not error.message_reference:
        uci += [
            REJECTED,
            error.code,
            error.tag if error.tag in ("UNA", "UNB", "UNZ") else "",
            _s011(error.element, error.component),
        ]
    else:
        uci.append(REJECTED)
    segments = [f"UNH+1+{CONTRL_VERSION.get(version, 'CONTRL:D:3:UN')}", "UCI+" + "+".join(uci).rstrip("+")]
    for message in envelope.messages:
        identifier = ":".join(e(part) for part in message.identifier)
        ucm = [e(message.reference), identifier]
        at_fault = error is not None and (
            inside is message or (inside is None and error.message_reference == message.reference)
        )
        if error is None:
            ucm.append(REJECTED if message.reference in rejected else ACKNOWLEDGED)
            segments.append("UCM+" + "+".join(ucm))
            continue
        ucm.append(REJECTED)
        if not at_fault:
            segments.append("UCM+" + "+".join(ucm))
            continue
        if error.tag in ("UNH", "UNT") or not error.position:
            tag = error.tag if error.tag in ("UNH", "UNT") else ""
            ucm += [error.code, tag, _s011(error.element, error.component)]
            segments.append("UCM+" + "+".join(ucm).rstrip("+"))
            continue
        segments.append("UCM+" + "+".join(ucm))
        position = error.position - message.start + 1
        if error.element is None:
            segments.append(f"UCS+{position}+{error.code}")
        else:
            segments.append(f"UCS+{position}")
            segments.append(f"UCD+{error.code}+{_s011(error.element, error.component)}")
    segments.append(f"UNT+{len(segments) + 1}+1")
    header = [
        "UNA:+.? ",
        _unb(
            recipient=envelope.sender,
            qualifier=envelope.sender_qualifier,
            our_id=our_id,
            control=control,
            now=now,
            version=version,
        ),
    ]
    return "'\n".join([*header, *segments, f"UNZ+1+{e(control)}"]) + "'\n"


def _party(identification: str, qualifier: str) -> str:
    return escape(identification) + (f":{escape(qualifier)}" if qualifier else "")


def _message_of(envelope: Envelope, error: EdiSyntaxError) -> MessageHeader | None:
    """The message whose UNH…UNT holds the segment in error, if any."""
    if not error.position:
        return None
    for message in envelope.messages:
        if message.start <= error.position and (not message.end or error.position <= message.end):
            return message
    return None


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
