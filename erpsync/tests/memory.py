"""An adapter whose ERP is a dictionary in the test: feeds the test publishes, documents the exporters push.

It lets importer and exporter tests run the real engine without files or a network; the adapters' own
behaviour is proven by the contract suite against their simulators."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from erpsync.adapters.base import (
    Capability,
    ConnectionCheck,
    ErpAck,
    ErpAdapter,
    ErpOrderAck,
    Feed,
    FeedError,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)


@dataclass
class MemoryErp:
    """The ERP's state: feeds waiting per entity, documents received, failures to play next."""

    feeds: dict[str, list[Feed]] = field(default_factory=dict)
    orders: dict[str, ErpOrderAck] = field(default_factory=dict)
    pushes: list[str] = field(default_factory=list)
    cancels: list[str] = field(default_factory=list)
    payments: dict[str, ErpAck] = field(default_factory=dict)
    memos: dict[str, ErpAck] = field(default_factory=dict)
    # Ship-to addresses by (customer code, name).
    ship_tos: dict[tuple[str, str], ErpAck] = field(default_factory=dict)
    # Customer accounts by code, and every create (a code listed twice is a duplicate account).
    customers: dict[str, ErpAck] = field(default_factory=dict)
    customer_pushes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reads: list[tuple] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    # What ``open_orders()`` lists: the test sets the ERP's open orders (``ErpOpenOrder``) here.
    open_orders: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(
        self,
        entity: str,
        records,
        *,
        complete: bool = True,
        source: str = "",
        digest: str = "",
        broken_at=None,
        watermark=None,
    ):
        """Queue a feed; ``broken_at`` makes reading it fail with a FeedError after that many records."""
        records = list(records)

        def stream():
            for index, record in enumerate(records):
                if broken_at is not None and index == broken_at:
                    raise FeedError("malformed row", source=source or entity, line=index + 2, column="on_hand")
                yield record

        erp = self

        class _Feed(Feed):
            def acknowledge(self, summary):
                erp.acknowledged.append(self.source)

            def reject(self, error):
                erp.rejected.append(self.source)

        feed = _Feed(
            entity=entity,
            source=source or f"{entity}-{len(self.feeds.get(entity, [])) + 1}",
            records=stream(),
            complete=complete,
            digest=digest,
            watermark=watermark,
        )
        self.feeds.setdefault(entity, []).append(feed)

    def _fail(self) -> None:
        """Play the next failure if it is one any call suffers (push-only failures wait for the push)."""
        if self.failures and self.failures[0] in ("unavailable", "rejected", "busy"):
            failure = self.failures.pop(0)
            if failure == "unavailable":
                raise RetryableError("ERP unavailable (503)")
            if failure == "rejected":
                raise PermanentError("Unknown item code", code="-5002")
            if failure == "busy":
                raise RetryableError("Too many requests", retry_after=30)


ERPS: dict[str, MemoryErp] = {}


class MemoryAdapter(ErpAdapter):
    key = "memory"
    capabilities = frozenset(Capability) - {Capability.DELTA, Capability.LIVE_STOCK, Capability.LIVE_BALANCE}

    @property
    def erp(self) -> MemoryErp:
        return ERPS.setdefault(self.settings.get("name", "default"), MemoryErp())

    def test_connection(self) -> ConnectionCheck:
        try:
            self.erp._fail()
        except RetryableError as exc:
            return ConnectionCheck(False, str(exc))
        return ConnectionCheck(True, "ok")

    def read(self, entity, *, since=None, full=False) -> Iterator[Feed]:
        self.erp._fail()
        self.erp.reads.append((entity, since, full))
        while self.erp.feeds.get(entity):
            yield self.erp.feeds[entity].pop(0)

    def open_orders(self):
        self.erp._fail()
        self.erp.reads.append(("open_orders", None, True))
        yield from list(self.erp.open_orders)

    def order_lookup(self, reference):
        self.erp._fail()
        return self.erp.orders.get(reference)

    def order_push(self, order):
        with self.erp.lock:
            failure = self.erp.failures.pop(0) if self.erp.failures else None
            if failure == "timeout_after_apply":
                self._create(order.reference)
                raise OutcomeUnknownError("Read timed out after sending the order")
            if failure:
                self.erp.failures.insert(0, failure)
                self.erp._fail()
            return self._create(order.reference)

    def _create(self, reference):
        self.erp.pushes.append(reference)
        ack = ErpOrderAck(
            reference=reference, document_id=str(len(self.erp.pushes)), document_number=f"SO-{len(self.erp.pushes)}"
        )
        self.erp.orders.setdefault(reference, ack)
        return ack

    def ship_to_lookup(self, ship_to):
        self.erp._fail()
        return self.erp.ship_tos.get((ship_to.customer_code, ship_to.name))

    def ship_to_push(self, ship_to):
        self.erp._fail()
        ack = ErpAck(reference=ship_to.reference, document_id=f"ST{len(self.erp.ship_tos) + 1}")
        return self.erp.ship_tos.setdefault((ship_to.customer_code, ship_to.name), ack)

    def customer_lookup(self, code):
        self.erp._fail()
        return self.erp.customers.get(code)

    def customer_push(self, customer):
        with self.erp.lock:
            failure = self.erp.failures.pop(0) if self.erp.failures else None
            if failure and failure != "timeout_after_apply":
                self.erp.failures.insert(0, failure)
                self.erp._fail()
            self.erp.customer_pushes.append(customer.code)
            ack = ErpAck(
                reference=customer.reference,
                document_id=customer.code,
                document_number=str(len(self.erp.customer_pushes)),
            )
            self.erp.customers.setdefault(customer.code, ack)
            if failure == "timeout_after_apply":
                raise OutcomeUnknownError("Read timed out after sending the customer")
            return ack

    def order_cancel(self, cancel):
        self.erp._fail()
        self.erp.cancels.append(cancel.reference)
        return ErpAck(reference=cancel.reference, document_id=f"cancel-{cancel.reference}")

    def payment_lookup(self, reference):
        return self.erp.payments.get(reference)

    def payment_push(self, payment):
        self.erp._fail()
        ack = ErpAck(reference=payment.reference, document_id=f"R-{len(self.erp.payments) + 1}")
        self.erp.payments[payment.reference] = ack
        return ack

    def credit_memo_lookup(self, reference):
        return self.erp.memos.get(reference)

    def credit_memo_push(self, memo):
        self.erp._fail()
        ack = ErpAck(reference=memo.reference, document_id=f"CM-{len(self.erp.memos) + 1}")
        self.erp.memos[memo.reference] = ack
        return ack


class DeltaMemoryAdapter(MemoryAdapter):
    """The same ERP, able to send only what changed since a time."""

    key = "memory_delta"
    capabilities = MemoryAdapter.capabilities | {Capability.DELTA}
