"""Matching incoming bank transfers to dealers, orders and invoices, and allocating the money.

Each unmatched incoming transaction is scored against what the portal knows, strongest evidence first:

==========================  =====  =======================================================================
evidence                    score  what it names
==========================  =====  =======================================================================
the sender's IBAN is known    70   the dealer (``DealerIban``; a manual match teaches it)
a tax number (VKN/TCKN)       70   the dealer whose tax number appears in the description
an order number               50   the order (and its dealer); +25 when the amount is what is still due
an invoice number             50   the invoice (and its dealer); +25 when the amount is what is still open
the amount alone              30   the one open order or invoice, portal-wide, with exactly that amount
the sender's name             10   the dealer whose title starts like the sender's name
==========================  =====  =======================================================================

Evidence for the same dealer adds up. At or above ``PAYMENT_MATCH_THRESHOLD`` (default 70), with no other dealer
within ``PAYMENT_MATCH_MARGIN`` (default 20) points, the money is allocated automatically: to the orders and
invoices the transfer names, in order and up to what each still owes, the rest on the dealer's account. An order
awaiting payment that is paid in full is released for shipment. Everything else waits in the admin queue with its
ranked candidates and their reasons; a manual match allocates the same way and remembers the sender's IBAN.

Every allocation posts a collection to the ERP through the outbox, once.

For speed the portal's side is loaded once into dictionaries (``MatchIndex``); a line costs a few regular
expression scans and dictionary lookups, and the writes go out in bulk.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from b2bportal.bulk import model_rows_insert
from b2bportal.text import name_key
from dealers.models import Dealer, DealerIban
from orders.models import Order, OrderStatusChange
from orders.services.transitions import order_transition
from orders.status import OrderStatus
from payments.hooks import collections_recorded
from payments.models import Allocation, BankTransaction
from payments.receivables import invoice_open_amounts_many, order_amounts_due

log = logging.getLogger("payments")
ZERO = Decimal(0)
TX = BankTransaction.Status
MATCH_LOCK = 0x6D61746368  # "match": the advisory lock key of a matching run

IBAN_SCORE, TAX_SCORE, DOCUMENT_SCORE, AMOUNT_BONUS, AMOUNT_ONLY, NAME_SCORE = 70, 70, 50, 25, 30, 10
TAX_NUMBER = re.compile(r"(?<!\d)(\d{10,11})(?!\d)")
IBAN_IN_TEXT = re.compile(r"\bTR\d{2}(?:\s?\d{4}){5}\s?\d{2}\b")
TOKEN = re.compile(r"[0-9A-Z][0-9A-Z/_.-]{3,}[0-9A-Z]")


@dataclass
class OpenItem:
    """Something a dealer still owes: an order awaiting payment or an invoice."""

    kind: str  # "order" or "invoice"
    dealer_id: int
    number: str
    due: Decimal
    order_id: int | None = None


@dataclass
class Candidate:
    dealer_id: int
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    items: list[OpenItem] = field(default_factory=list)

    def add(self, points: int, reason: str, item: OpenItem | None = None) -> None:
        self.score += points
        self.reasons.append(reason)
        if item is not None and item not in self.items:
            self.items.append(item)

    def as_json(self) -> dict:
        return {
            "dealer_id": self.dealer_id,
            "score": self.score,
            "reasons": self.reasons,
            "items": [{"kind": item.kind, "number": item.number, "due": str(item.due)} for item in self.items],
        }


class MatchIndex:
    """The portal's side, loaded once per run: IBANs, tax numbers, names, open orders and invoices."""

    def __init__(self) -> None:
        self.by_iban = dict(DealerIban.objects.values_list("iban", "dealer_id"))
        self.by_tax: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        for pk, tax_number, title in Dealer.objects.values_list("pk", "tax_number", "title"):
            if tax_number:
                self.by_tax[tax_number] = pk
            word = _first_word(title)
            if word:
                self.by_name[word].append(pk)
        self.orders: dict[str, OpenItem] = {}
        self.invoices: dict[str, OpenItem] = {}
        self.by_amount: dict[Decimal, list[OpenItem]] = defaultdict(list)
        # What each order awaiting payment still owes, and each invoice, come from the one receivables module (for
        # invoices, the ERP's ledger when it sends one), as the order page and the payments page show them.
        awaiting = Order.objects.filter(status=OrderStatus.AWAITING_PAYMENT)
        dues = order_amounts_due(awaiting)
        for pk, number, dealer_id in awaiting.values_list("pk", "number", "dealer_id"):
            item = OpenItem("order", dealer_id, number, dues.get(pk, ZERO), order_id=pk)
            if item.due > 0:
                self._add(self.orders, name_key(number), item)
        for (dealer_id, number), due in invoice_open_amounts_many().items():
            self._add(self.invoices, name_key(number), OpenItem("invoice", dealer_id, number, due))

    def _add(self, table: dict[str, OpenItem], key: str, item: OpenItem) -> None:
        table[key] = item
        self.by_amount[item.due].append(item)

    def paid(self, item: OpenItem, amount: Decimal) -> None:
        """Lower what ``item`` still owes after an allocation in this run."""
        self.by_amount[item.due].remove(item)
        item.due -= amount
        if item.due > 0:
            self.by_amount[item.due].append(item)


def payment_reference(order: Order) -> str:
    """What a dealer quotes in a bank transfer's description so that matching names the order: its number, which
    ``candidates_for`` finds as a token (``TOKEN``) among the orders awaiting payment."""
    return order.number


def _first_word(title: str) -> str:
    words = [w for w in re.split(r"[^0-9A-Z]+", name_key(title or "")) if len(w) >= 4]
    return words[0] if words else ""


class Words:
    """The reasons' wording, translated once per run rather than once per line."""

    def __init__(self) -> None:
        self.iban = _("known IBAN %(iban)s")
        self.tax = _("tax number %(number)s")
        self.order = _("order")
        self.invoice = _("invoice")
        self.amount = _("amount equals what %(number)s owes")
        self.amount_only = _("the only open item of this amount: %(number)s")
        self.name = _("sender's name")
        self.unclear = _("No dealer is clear enough; please choose.")
        self.nothing = _("No candidate found.")


def candidates_for(index: MatchIndex, tx: BankTransaction, words: Words | None = None) -> list[Candidate]:
    """The dealers ``tx`` may come from, best first, each with its score, reasons and the items it names."""
    words = words or Words()
    found: dict[int, Candidate] = {}

    def candidate(dealer_id: int) -> Candidate:
        return found.setdefault(dealer_id, Candidate(dealer_id))

    text = name_key(f"{tx.description} {tx.bank_reference}")
    sender = tx.counterparty_iban or ""
    if not sender:
        match = IBAN_IN_TEXT.search(text)
        sender = match.group(0).replace(" ", "") if match else ""
    if sender in index.by_iban:
        candidate(index.by_iban[sender]).add(IBAN_SCORE, words.iban % {"iban": sender})
    for number in dict.fromkeys(TAX_NUMBER.findall(text)):
        if number in index.by_tax:
            candidate(index.by_tax[number]).add(TAX_SCORE, words.tax % {"number": number})
    for token in dict.fromkeys(TOKEN.findall(text)):
        for table, label in ((index.orders, words.order), (index.invoices, words.invoice)):
            item = table.get(token)
            if item is None:
                continue
            named = candidate(item.dealer_id)
            named.add(DOCUMENT_SCORE, f"{label} {item.number}", item)
            if item.due == tx.amount:
                named.add(AMOUNT_BONUS, words.amount % {"number": item.number})
    if not found:
        same = index.by_amount.get(tx.amount, [])
        if len(same) == 1:
            item = same[0]
            candidate(item.dealer_id).add(AMOUNT_ONLY, words.amount_only % {"number": item.number}, item)
    word = _first_word(tx.counterparty_name) if tx.counterparty_name else ""
    for dealer_id in index.by_name.get(word, ()) if word else ():
        if dealer_id in found or len(index.by_name[word]) == 1:
            candidate(dealer_id).add(NAME_SCORE, words.name)
    return sorted(found.values(), key=lambda c: (-c.score, c.dealer_id))


def _decide(ranked: list[Candidate]) -> Candidate | None:
    threshold = settings.PAYMENT_MATCH_THRESHOLD
    margin = settings.PAYMENT_MATCH_MARGIN
    if not ranked or ranked[0].score < threshold:
        return None
    if len(ranked) > 1 and ranked[0].score - ranked[1].score < margin:
        return None
    return ranked[0]


@dataclass
class Part:
    """One allocation of a transfer: to an order, an invoice, or (neither) the dealer's account."""

    dealer_id: int
    amount: Decimal
    order_id: int | None = None
    invoice_number: str = ""


def split(amount: Decimal, candidate: Candidate, index: MatchIndex | None = None) -> list[Part]:
    """The transfer spread over the items the candidate names, in order and up to what each owes; the rest goes
    on account."""
    parts, left = [], amount
    for item in candidate.items:
        if left <= 0 or item.due <= 0:
            continue
        share = min(left, item.due)
        parts.append(Part(candidate.dealer_id, share, item.order_id, item.number if item.kind == "invoice" else ""))
        if index is not None:
            index.paid(item, share)
        left -= share
    if left > 0:
        parts.append(Part(candidate.dealer_id, left))
    return parts


@dataclass
class MatchReport:
    allocated: int = 0
    queued: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase, for the log and the benchmark


def statement_match(*, transactions=None, index: MatchIndex | None = None) -> MatchReport:
    """Match unmatched incoming transactions (all, or the given queryset) and allocate the clear ones."""
    import time

    started = time.monotonic()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One run at a time: two runs must not both allocate the same transfer.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MATCH_LOCK])
        report = _match(transactions, index, started)
        committing = time.monotonic()
    report.phases["commit"] = time.monotonic() - committing
    report.seconds = time.monotonic() - started
    log.info("bank matching: %s allocated, %s queued in %.1f s", report.allocated, report.queued, report.seconds)
    return report


@dataclass(slots=True)
class Line:
    """What matching reads and writes of a transaction, without a model instance per row."""

    pk: int
    amount: Decimal
    currency: str
    booking_date: date
    description: str
    bank_reference: str
    counterparty_iban: str
    counterparty_name: str
    status: str = TX.UNMATCHED
    status_reason: str = ""
    candidates: list = field(default_factory=list)


LINE_FIELDS = ("pk", "amount", "currency", "booking_date", "description", "bank_reference", "counterparty_iban",
               "counterparty_name")  # fmt: skip


def _match(transactions, index, started) -> MatchReport:
    import time

    report = MatchReport()
    clock = time.monotonic()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        report.phases[name] = report.phases.get(name, 0.0) + now - clock
        clock = now

    index = index or MatchIndex()
    phase("load the portal's side")
    queryset = transactions if transactions is not None else BankTransaction.objects.all()
    rows = queryset.filter(status=TX.UNMATCHED, amount__gt=0).order_by("booking_date", "pk")
    pending = [Line(*values) for values in rows.values_list(*LINE_FIELDS)]
    phase("load the lines")
    plans: list[tuple[Line, Candidate, list[Part]]] = []
    words = Words()
    for tx in pending:
        ranked = candidates_for(index, tx, words)
        chosen = _decide(ranked)
        if chosen is None:
            tx.candidates = [c.as_json() for c in ranked[:5]]
            tx.status_reason = words.unclear if ranked else words.nothing
            report.queued += 1
            continue
        # The allocation keeps the score and the reasons; the line itself needs no candidates any more.
        plans.append((tx, chosen, split(tx.amount, chosen, index)))
        report.allocated += 1
    phase("score the lines")
    _allocate(plans, method=Allocation.Method.AUTOMATIC, user=None, save=False)
    phase("write allocations, orders and ERP collections")
    allocated = {tx.pk for tx, _chosen, _parts in plans}
    _save_rows([tx for tx in pending if tx.pk in allocated], ("status",))
    _save_rows([tx for tx in pending if tx.pk not in allocated], ("status_reason", "candidates"))
    phase("write the lines' status and candidates")
    return report


def _save_rows(rows: list, fields: tuple[str, ...]) -> None:
    """Write ``fields`` of many transactions with one statement: on PostgreSQL an ``UPDATE … FROM unnest(…)`` of
    one array per column; elsewhere one prepared UPDATE sent per row. Either is far cheaper than the CASE
    expressions ``bulk_update`` builds for thousands of rows."""
    if not rows:
        return
    meta = BankTransaction._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    values = [[column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns] for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sets = ", ".join(f"{quote(c.column)} = %s" for c in columns)
            sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE id = %s"  # noqa: S608 - names only
            cursor.executemany(sql, [[*v, row.pk] for v, row in zip(values, rows, strict=True)])
            return
        arrays = [[row.pk for row in rows]] + [
            [None if v[i] is None else str(v[i]) if not hasattr(v[i], "obj") else json.dumps(v[i].obj) for v in values]
            for i in range(len(columns))
        ]
        names = ", ".join(["id", *(f"c{i}" for i in range(len(columns)))])
        unnest = ", ".join(["%s::bigint[]", *("%s::text[]" for _ in columns)])
        sets = ", ".join(f"{quote(c.column)} = v.c{i}::{c.db_type(connection)}" for i, c in enumerate(columns))
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} t SET {sets} FROM unnest({unnest}) AS v({names}) WHERE t.id = v.id",  # noqa: S608
            arrays,
        )


def allocate_manually(*, tx: BankTransaction, parts: list[Part], user, learn_iban: bool = True) -> list[Allocation]:
    """Staff allocate a transfer (in one or several parts); the sender's IBAN is remembered for the dealer."""
    with transaction.atomic():
        tx = BankTransaction.objects.select_for_update().get(pk=tx.pk)
        already = tx.allocations.aggregate(s=Sum("amount"))["s"] or ZERO
        total = sum((part.amount for part in parts), ZERO)
        if tx.amount <= 0 or tx.status in (TX.ALLOCATED, TX.IGNORED):
            raise ValueError(_("This transaction cannot be allocated."))
        if not parts or any(part.amount <= 0 for part in parts) or already + total > tx.amount:
            raise ValueError(
                _("The parts must be positive and add up to at most %(left)s.") % {"left": tx.amount - already}
            )
        candidate = Candidate(parts[0].dealer_id, 0, [_("allocated by %(user)s") % {"user": user}])
        _allocate([(tx, candidate, parts)], method=Allocation.Method.MANUAL, user=user, already=already)
        allocations = list(tx.allocations.order_by("-pk")[: len(parts)])
        if learn_iban and tx.counterparty_iban:
            dealer_ids = {part.dealer_id for part in parts}
            if len(dealer_ids) == 1:
                DealerIban.objects.get_or_create(
                    iban=tx.counterparty_iban,
                    defaults={"dealer_id": dealer_ids.pop(), "source": DealerIban.Source.MATCH},
                )
    return allocations


def transaction_ignore(*, tx: BankTransaction, reason: str) -> None:
    if not reason.strip():
        raise ValueError(_("Say why the transaction is ignored."))
    BankTransaction.objects.filter(pk=tx.pk, status=TX.UNMATCHED).update(
        status=TX.IGNORED, status_reason=reason.strip()[:255]
    )


def _allocate(plans, *, method: str, user, already: Decimal = ZERO, save: bool = True) -> int:
    """Write the allocations, the transactions' status, the orders they release and one ERP collection per
    transfer (a receipt on the dealer's account naming the invoices and order it settles). Returns how many
    allocations were written."""
    allocations, updated, order_ids = [], [], set()
    user_id = getattr(user, "pk", None)
    for tx, candidate, parts in plans:
        for part in parts:
            allocations.append(
                {
                    "dealer_id": part.dealer_id,
                    "bank_transaction_id": tx.pk,
                    "order_id": part.order_id,
                    "invoice_number": part.invoice_number,
                    "amount": part.amount,
                    "currency": tx.currency,
                    "method": method,
                    "score": min(candidate.score, 32767),
                    "reasons": candidate.reasons,
                    "created_by_id": user_id,
                }
            )
            if part.order_id:
                order_ids.add(part.order_id)
        allocated = already + sum((part.amount for part in parts), ZERO)
        tx.status = TX.ALLOCATED if allocated >= tx.amount else TX.PARTIALLY_ALLOCATED
        tx.status_reason = ""
        updated.append(tx)
    written = model_rows_insert(Allocation, allocations)
    if save:  # the automatic run saves every line it looked at in one go
        _save_rows(updated, ("status", "status_reason", "candidates"))
    numbers = dict(Order.objects.filter(pk__in=order_ids).values_list("pk", "number")) if order_ids else {}
    if order_ids:
        awaiting = Order.objects.filter(pk__in=order_ids, status=OrderStatus.AWAITING_PAYMENT)
        dues = order_amounts_due(awaiting)
        for order in awaiting:
            if dues.get(order.pk, ZERO) == 0:
                order_transition(
                    order=order,
                    to_status=OrderStatus.APPROVED,
                    source=OrderStatusChange.Source.PAYMENT,
                    reason=_("Paid by bank transfer."),
                )
    collections = []
    for tx, _candidate, parts in plans:
        sequence = len(tx.allocations.all()) if method == Allocation.Method.MANUAL else 0
        # One collection per dealer: a transfer staff split between two dealers is two receipts in the ERP, each
        # on its own dealer's account (the first keeps the transfer's plain key and reference).
        by_dealer: dict[int, list[Part]] = {}
        for part in parts:
            by_dealer.setdefault(part.dealer_id, []).append(part)
        for index, (dealer_id, own) in enumerate(by_dealer.items()):
            suffix = f"-{index}" if index else ""
            orders = [numbers[p.order_id] for p in own if p.order_id in numbers]
            collections.append(
                (
                    f"bank:{tx.pk}:{sequence}{suffix}",
                    tx.pk,
                    {
                        "reference": f"BNK-{tx.pk}-{sequence}{suffix}",
                        "dealer_id": dealer_id,
                        "amount": str(sum((p.amount for p in own), ZERO)),
                        "currency": tx.currency,
                        "received_on": tx.booking_date.isoformat(),
                        "method": "transfer",
                        "description": tx.description[:200],
                        "order_number": orders[0] if orders else "",
                        "invoice_numbers": [p.invoice_number for p in own if p.invoice_number],
                    },
                )
            )
    # An automatic run's keys are new: a transfer leaves the unmatched state in this same transaction.
    collections_recorded.send(collections=collections, fresh=method != Allocation.Method.MANUAL)
    return written
