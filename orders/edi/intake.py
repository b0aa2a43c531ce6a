"""EDI order intake: one document (a UBL Order, or an EDIFACT interchange of one or more ORDERS messages) in, one
``EdiMessage`` per order message with its answer out.

Each message goes the way every order goes: the lines are read by quick order's rules (``orders/items.py`` names
the products: the dealer's own codes, then SKUs, then GTINs and pack barcodes), and the lines that can be ordered
are placed through ``order_place_lines`` → ``order_place`` with the portal's prices, credit, stock and approval.
The answer (UBL OrderResponse / EDIFACT ORDRSP) says per line: accepted, changed (the quantity raised to the
product's minimum or order multiple — pack rounding) or rejected (unknown or hidden item, unit not sold, no price).

An EDIFACT interchange with several ORDERS messages makes one order per message, each placed on its own (its
idempotency key is the interchange reference and the message reference) and each answered by its own ORDRSP; the
ORDRSPs go back together in one answering interchange. A message refused for its content — unknown party,
unknown delivery point, no orderable line, a placement refusal — is answered as rejected (ORDRSP 27) and the
other messages are still placed. A syntax error anywhere in the interchange (envelope, counts, references, any
message) refuses all of it: nothing is placed, the interchange is stored as ``malformed`` and a CONTRL report
(UCI action 4) names the segment and data element in error. A CONTRL acknowledgement (UCI action 7) is also
written for every interchange whose UNB asks for one (0031 = 1).

The delivery point — UBL ``cac:Delivery/cac:DeliveryLocation/cbc:ID`` (schemeID 0088), EDIFACT ``NAD+DP`` —
is a GLN matched to the dealer's active delivery addresses; the order goes there. A GLN no delivery address of
the dealer has refuses the message naming it (nothing placed); without a delivery point the dealer's default
delivery address is used.

Refusals, nothing half-applied:
- a malformed document is stored as ``malformed`` with the location of the error and no order;
- an unknown party (no dealer with the buyer's GLN or tax number) or a placement refusal (credit hold, blocking
  rules) rejects every line of that message and places nothing for it;
- with ``only_dealer`` (an API key's dealer, a dealer's drop folder), a document with any message for another
  dealer is refused with ``EdiPartyMismatch`` and not stored under that dealer.
The interchange (sender, control reference) is recorded once a party is known; the same interchange again
returns the stored messages and their answer, and never a second order.

Transactions: the messages are first recorded together as "received" and claimed for ``CLAIM`` (a short
transaction; the unique index makes a second copy of the interchange wait for it and then find the rows). Each
message is then placed in a transaction of its own, so placement's locks (the dealer row, the stock rows) are held
for one order at a time, as for any checkout; the answer is written last, for all of them. A second copy arriving
meanwhile waits up to ``B2B_EDI_WAIT_SECONDS`` for the first to finish and replays its answer, else
``EdiInProgress`` (the API answers 503 with Retry-After, a drop folder tries the file again on its next run).
An interchange whose receipt was interrupted (a process stopped half-way) keeps its claim until it runs out; sent
again after that, it is taken over and finished: every message is read again, and placed ones find their order
by its idempotency key instead of placing another. The API's upload commits its Idempotency-Key first
(``api.idempotency.idempotent_in_steps``), so there too each message is placed in a transaction of its own.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import Dealer, DealerAddress, DealerUser
from orders.edi.edifact import Envelope, parse_interchange, write_contrl, write_ordrsp
from orders.edi.message import EdiLine, EdiOrder, EdiSyntaxError, portal_unit_code
from orders.edi.ubl import parse_order, write_order_response
from orders.exceptions import OrderRefused
from orders.items import first_known_code
from orders.models import EdiMessage, Order
from orders.quick_order import PreviewStatus, QuickOrderRow
from orders.services.lines import LinesRefused, order_lines_check, order_place_lines

EDI_KEYS = uuid.UUID("0b6f3a58-8f3e-4e0a-a6c4-2f1d5b7e9c21")
# How long a receipt may take before another copy of the interchange may take it over.
CLAIM = dt.timedelta(minutes=5)


class EdiInProgress(Exception):
    """The same interchange is being received by another request or worker right now; send it again later."""


class EdiPartyMismatch(Exception):
    """The message's buyer is not the dealer it was sent for (another dealer's GLN on a dealer's key)."""


@dataclass
class AnswerLine:
    source: EdiLine
    status: str  # accepted, changed, rejected
    sku: str = ""
    quantity: Decimal | None = None
    net_price: Decimal | None = None
    message: str = ""


@dataclass
class Answer:
    status: str
    number: str
    currency: str = ""
    note: str = ""
    lines: list[AnswerLine] = field(default_factory=list)


@dataclass
class Received:
    """What ``edi_order_receive`` did: the stored messages of the document (``message`` is the first), and
    whether they are earlier ones replayed."""

    message: EdiMessage
    replayed: bool = False
    messages: list[EdiMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.messages:
            self.messages = [self.message]

    @property
    def status(self) -> str:
        """The document's status: a single message's own; for several, ``accepted`` when every message was,
        ``rejected`` when none placed an order, else ``changed``."""
        statuses = {message.status for message in self.messages}
        if len(self.messages) == 1 or len(statuses) == 1:
            return self.message.status
        if not any(message.order_id for message in self.messages):
            return EdiMessage.Status.REJECTED
        return EdiMessage.Status.CHANGED


def _text(payload: bytes | str) -> str:
    if isinstance(payload, str):
        return payload
    for encoding in ("utf-8-sig", "iso-8859-9"):
        try:
            return payload.decode(encoding)
        except UnicodeDecodeError:
            continue
    return payload.decode("latin-1")


def detect_format(text: str) -> str:
    head = text.lstrip("\ufeff \r\n\t")[:3]
    if head in ("UNA", "UNB"):
        return EdiMessage.Format.EDIFACT
    if head.startswith("<"):
        return EdiMessage.Format.UBL
    return EdiMessage.Format.UNKNOWN


def edi_parse(payload: bytes | str) -> tuple[list[EdiOrder], Envelope | None]:
    """The orders in ``payload`` (a UBL Order: one; an EDIFACT interchange: one per ORDERS message) and the
    EDIFACT envelope, or ``EdiSyntaxError`` naming where it cannot be read."""
    text = _text(payload)
    kind = detect_format(text)
    if kind == EdiMessage.Format.EDIFACT:
        interchange = parse_interchange(text)
        return interchange.orders, interchange.envelope
    if kind == EdiMessage.Format.UBL:
        return [parse_order(payload.encode() if isinstance(payload, str) else payload)], None
    raise EdiSyntaxError("", _("Neither a UBL Order (XML) nor an EDIFACT interchange (UNA/UNB)."))


def dealer_for_party(order: EdiOrder) -> Dealer | None:
    """The dealer the buyer party names: by GLN, else by tax number (the head account before a branch)."""
    buyer = order.buyer
    if buyer.gln:
        dealer = Dealer.objects.filter(gln=buyer.gln).order_by("pk").first()
        if dealer is not None:
            return dealer
    if buyer.tax_number:
        return (
            Dealer.objects.filter(tax_number=buyer.tax_number).order_by("parent_id", "pk").first()
            if len(buyer.tax_number) in (10, 11)
            else None
        )
    return None


def _placing_user(dealer: Dealer) -> DealerUser | None:
    return (
        DealerUser.objects.filter(dealer=dealer, is_active=True, user__is_active=True)
        .select_related("user", "dealer")
        # The dealer's admin places EDI orders when no person sends them.
        .order_by(Case(When(role=DealerUser.Role.ADMIN, then=0), default=1), "pk")
        .first()
    )


def _respond(messages: list[EdiMessage], orders: list[EdiOrder], answers: list[Answer], envelope) -> None:
    now = timezone.localtime()
    our_id = settings.B2B_EDI_GLN
    first = messages[0]
    if first.format != EdiMessage.Format.EDIFACT:
        first.response = write_order_response(
            answers[0], order=orders[0], our_id=our_id, our_name=settings.B2B_COMPANY_NAME, now=now
        )
        return
    response = write_ordrsp(list(zip(answers, orders, strict=True)), our_id=our_id, control=_control(first), now=now)
    contrl = ""
    if envelope is not None and envelope.acknowledgement_requested:
        contrl = write_contrl(envelope, error=None, our_id=our_id, control=_control(first, "C"), now=now)
    for message in messages:
        message.response, message.contrl = response, contrl


def _control(message: EdiMessage, prefix: str = "") -> str:
    """An answering interchange's control reference (UNB 0020, at most 14 characters), from the first message."""
    return f"{prefix}{message.pk:0{14 - len(prefix)}d}"


def _all_rejected(order: EdiOrder, reason: str) -> list[AnswerLine]:
    return [AnswerLine(source=line, status="rejected", message=reason) for line in order.lines]


def edi_order_receive(
    *,
    payload: bytes | str,
    channel: str,
    only_dealer: Dealer | None = None,
    dealer_user: DealerUser | None = None,
) -> Received:
    """Read, match and place every order message of one EDI document; see the module. ``dealer_user`` places the
    orders (an API key's user); without one, the dealer's first active admin does."""
    text = _text(payload)
    kind = detect_format(text)
    try:
        orders, envelope = edi_parse(payload)
    except EdiSyntaxError as exc:
        message = EdiMessage.objects.create(
            format=kind,
            channel=channel,
            status=EdiMessage.Status.MALFORMED,
            dealer=only_dealer,
            error=str(exc),
            payload=text,
        )
        if exc.envelope is not None:
            message.contrl = write_contrl(
                exc.envelope,
                error=exc,
                our_id=settings.B2B_EDI_GLN,
                control=_control(message, "C"),
                now=timezone.localtime(),
            )
            message.save(update_fields=["contrl"])
        return Received(message)
    # The messages of one interchange name the same few parties: each is looked up once.
    parties: dict[tuple[str, str], Dealer | None] = {}
    for order in orders:
        key = (order.buyer.gln, order.buyer.tax_number)
        if key not in parties:
            parties[key] = dealer_for_party(order)
    dealers = [parties[(order.buyer.gln, order.buyer.tax_number)] for order in orders]
    if only_dealer is not None:
        for order, dealer in zip(orders, dealers, strict=True):
            if dealer != only_dealer:
                raise EdiPartyMismatch(order.buyer.gln or order.buyer.tax_number)
    first = orders[0]
    known = any(dealer is not None for dealer in dealers)
    if known:
        stored = _stored(first)
        if stored:
            return _replay_or_finish(stored, orders, dealers, envelope, dealer_user)
    try:
        with transaction.atomic():
            messages = [
                EdiMessage.objects.create(
                    format=kind,
                    channel=channel,
                    status=EdiMessage.Status.RECEIVED,
                    dealer=dealer,
                    sender=order.sender[:64],
                    # Recorded only for a known party, so an unknown one does not block the corrected message.
                    reference=order.reference[:64] if known else "",
                    message_reference=order.message_reference[:14],
                    document_number=order.document_number[:64],
                    payload=text,
                    claimed_until=timezone.now() + CLAIM,
                )
                for order, dealer in zip(orders, dealers, strict=True)
            ]
    except IntegrityError:
        return _replay_or_finish(_stored(first), orders, dealers, envelope, dealer_user)
    return _place_all(messages, orders, dealers, envelope, dealer_user)


def _replay_or_finish(stored, orders, dealers, envelope, dealer_user) -> Received:
    """An interchange received before: its stored answer, once the receipt that recorded it has finished (waiting
    for it a while), or — when that receipt was interrupted and its claim ran out — finished here."""
    deadline = time.monotonic() + settings.B2B_EDI_WAIT_SECONDS
    ids = [message.pk for message in stored]
    # Another document under the same reference (other messages) is not this one to finish: only waited for.
    same_messages = len(stored) == len(orders)
    while True:
        if not any(message.status == EdiMessage.Status.RECEIVED for message in stored):
            return Received(stored[0], replayed=True, messages=stored)
        if same_messages and _claim_ran_out(ids):
            return _place_all(stored, orders, dealers, envelope, dealer_user)
        if time.monotonic() >= deadline:
            raise EdiInProgress(stored[0].reference)
        time.sleep(0.2)
        stored = list(EdiMessage.objects.filter(pk__in=ids).select_related("order").order_by("pk"))


def _claim_ran_out(ids: list[int]) -> bool:
    """Claim the unanswered messages ``ids`` whose receipt's claim ran out; whether there were any."""
    now = timezone.now()
    claimed = (
        EdiMessage.objects.filter(pk__in=ids, status=EdiMessage.Status.RECEIVED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM)
    )
    return claimed > 0


def _place_all(messages, orders, dealers, envelope, dealer_user) -> Received:
    """Answer each message in a transaction of its own (its order placed there), then the interchange's answer."""
    answers = []
    for message, order, dealer in zip(messages, orders, dealers, strict=True):
        with transaction.atomic():
            EdiMessage.objects.select_for_update().filter(pk=message.pk).first()
            message.status, message.error, message.order = EdiMessage.Status.REJECTED, "", None
            answers.append(_answer(message, order, dealer, dealer_user))
            message.save(update_fields=["status", "error", "order"])
    with transaction.atomic():
        _respond(messages, orders, answers, envelope)
        for message in messages:
            message.claimed_until = None
            message.save(update_fields=["response", "contrl", "claimed_until"])
    return Received(messages[0], messages=messages)


def _stored(order: EdiOrder) -> list[EdiMessage]:
    return list(
        EdiMessage.objects.filter(sender=order.sender[:64], reference=order.reference[:64])
        .select_related("order")
        .order_by("pk")
    )


def delivery_address_for(dealer: Dealer, order: EdiOrder) -> DealerAddress | None:
    """The address to deliver ``order`` to: the dealer's active delivery address with the delivery point's GLN,
    or (no delivery point) the default one. ``LookupError`` when the GLN is none of the dealer's addresses."""
    addresses = DealerAddress.objects.filter(dealer=dealer, kind=DealerAddress.Kind.SHIPPING, is_active=True)
    if order.delivery.gln:
        address = addresses.filter(gln=order.delivery.gln).first()
        if address is None:
            raise LookupError(order.delivery.gln)
        return address
    return addresses.order_by("-is_default", "pk").first()


def _answer(message: EdiMessage, order: EdiOrder, dealer: Dealer | None, dealer_user: DealerUser | None) -> Answer:
    number = f"EDI{message.pk:08d}"
    if dealer is None:
        message.error = _("No dealer has the buyer's GLN %(gln)s or tax number %(tax)s.") % {
            "gln": order.buyer.gln or "-",
            "tax": order.buyer.tax_number or "-",
        }
        return Answer("rejected", number, order.currency, message.error, _all_rejected(order, message.error))
    user = dealer_user or _placing_user(dealer)
    if user is None or not dealer.is_active:
        message.error = _("The dealer account cannot place orders.")
        return Answer("rejected", number, order.currency, message.error, _all_rejected(order, message.error))
    try:
        address = delivery_address_for(dealer, order)
    except LookupError:
        message.error = _("No delivery address of the dealer has the delivery point's GLN %(gln)s.") % {
            "gln": order.delivery.gln
        }
        return Answer("rejected", number, order.currency, message.error, _all_rejected(order, message.error))
    lines = _lines_answer(order, user)
    wanted = [line for line in lines if line.status != "rejected"]
    if not wanted:
        message.error = _("No line can be ordered.")
        return Answer("rejected", number, order.currency, message.error, lines)
    rows = [
        QuickOrderRow(
            line_no=index,
            sku=line.row_code,
            quantity=line.quantity,
            unit_code=portal_unit_code(line.source.unit),
            raw=line.source.line_id,
        )
        for index, line in enumerate(wanted, start=1)
    ]
    try:
        placed = order_place_lines(
            dealer_user=user,
            idempotency_key=_idempotency_key(order),
            rows=rows,
            payment_method=Order.PaymentMethod.ON_ACCOUNT,
            delivery_address=address,
            po_number=order.document_number[:64],
            requested_delivery_date=order.delivery_date,
            note=order.note[:1000],
        )
    except (LinesRefused, OrderRefused) as exc:
        message.error = "; ".join(str(text) for text in exc.messages)
        return Answer("rejected", number, order.currency, message.error, _all_rejected(order, message.error))
    message.order = placed
    changed = any(line.status != "accepted" for line in lines)
    message.status = EdiMessage.Status.CHANGED if changed else EdiMessage.Status.ACCEPTED
    currency = next((line.currency for line in lines if line.currency), placed.currency)
    return Answer("changed" if changed else "accepted", placed.number, currency, "", lines)


def _idempotency_key(order: EdiOrder) -> uuid.UUID:
    """One order per message: the interchange, and within an EDIFACT interchange the message reference."""
    key = f"{order.sender}\n{order.reference}"
    return uuid.uuid5(EDI_KEYS, f"{key}\n{order.message_reference}" if order.message_reference else key)


@dataclass
class _Line(AnswerLine):
    row_code: str = ""
    currency: str = ""


def _lines_answer(order: EdiOrder, user: DealerUser) -> list[_Line]:
    """Each message line's answer, from quick order's row report of the lines as sent."""
    codes = first_known_code(dealer_id=user.dealer_id, alternatives=[line.codes for line in order.lines])
    rows = [
        QuickOrderRow(
            line_no=index,
            sku=code,
            quantity=line.quantity,
            unit_code=portal_unit_code(line.unit),
            raw=f"{code} {line.quantity} {line.unit}".strip(),
        )
        for index, (line, code) in enumerate(zip(order.lines, codes, strict=True), start=1)
    ]
    report = order_lines_check(dealer_user=user, rows=rows)
    by_line = {number: preview for preview in report for number in preview.line_nos}
    answers = []
    for index, (line, code) in enumerate(zip(order.lines, codes, strict=True), start=1):
        preview = by_line[index]
        sku = preview.product.sku if preview.product is not None else ""
        if preview.status not in PreviewStatus.ADDABLE:
            answers.append(_Line(line, "rejected", sku=sku, message=str(preview.message), row_code=code))
            continue
        quantity = line.quantity
        if index == preview.line_nos[-1] and len(preview.line_nos) > 1:
            # Lines of one product and unit are summed; the last carries what rounding added.
            others = sum((order.lines[n - 1].quantity for n in preview.line_nos[:-1]), Decimal("0"))
            quantity = preview.quantity - others
        elif len(preview.line_nos) == 1:
            quantity = preview.quantity
        status = "accepted" if quantity == line.quantity else "changed"
        answers.append(
            _Line(
                line,
                status,
                sku=sku,
                quantity=quantity,
                net_price=preview.price.net if preview.price is not None and preview.price.exists else None,
                message=str(preview.message) if status == "changed" else "",
                row_code=code,
                currency=preview.price.currency if preview.price is not None and preview.price.exists else "",
            )
        )
    return answers
