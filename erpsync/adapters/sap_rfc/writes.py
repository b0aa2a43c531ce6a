"""What the SAP RFC adapter writes: sales orders with ``BAPI_SALESORDER_CREATEFROMDAT2`` and their cancellation
with ``BAPI_SALESORDER_CHANGE``.

An order is looked up by its portal number (``PURCH_NO_C``) before every create, on the session that then creates it.
The create's RETURN decides: no E/A row → ``BAPI_TRANSACTION_COMMIT`` with ``WAIT`` 'X'; an E/A row →
``BAPI_TRANSACTION_ROLLBACK`` and the error (a busy record, ``retryable_messages``, is retried later; anything else
goes to a person). A session that breaks before the commit takes the uncommitted order with it (retryable); one that
breaks during the commit leaves the outcome unknown, and the exporter looks the order up before trying again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    ErpAck,
    ErpCancel,
    ErpError,
    ErpOrder,
    ErpOrderAck,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.sap_rfc.mapping import (
    alpha_out,
    customer_in,
    dats,
    describe,
    document_in,
    failures,
    item_number,
    material_in,
    number,
)
from erpsync.adapters.sap_rfc.session import failure_error, literal
from erpsync.adapters.sap_rfc.transport import RfcFailure, Transport

logger = logging.getLogger(__name__)

REFERENCE_WIDTH = 35  # PURCH_NO_C
PO_WIDTHS = {"PURCH_NO_S": 35, "REF_1": 12}
CREATE = "BAPI_SALESORDER_CREATEFROMDAT2"


class SapRfcWrites:
    """The writing half of ``SapRfcAdapter``."""

    # --- look-ups ---

    def _documents_of(self, holder: list[Transport], reference: str, customer: str = "") -> list[str]:
        """Sales documents carrying ``reference`` in PURCH_NO_C (internal numbers, oldest first)."""
        if self.lookup == "getlist" and customer:
            answer = self._read_call(
                holder,
                "BAPI_SALESORDER_GETLIST",
                CUSTOMER_NUMBER=customer_in(customer),
                SALES_ORGANIZATION=self.sales_org,
                PURCHASE_ORDER_NUMBER=reference,
            )
            problems = failures(answer.get("RETURN"))
            if problems:
                raise PermanentError(f"SAP refused the order list: {describe(problems)}")
            rows = answer.get("SALES_ORDERS") or []
            return sorted({str(row["SD_DOC"]) for row in rows if row.get("PURCH_NO_C") == reference})
        rows = self.read_table(
            "VBKD",
            ["BSTKD"],
            keys=["VBELN", "POSNR"],
            where=f"BSTKD EQ {literal(reference)} AND POSNR EQ '000000'",
            holder=holder,
        )
        return sorted({row["VBELN"] for row in rows if row["BSTKD"] == reference})

    def _ack(self, reference: str, document: str) -> ErpOrderAck:
        return ErpOrderAck(reference=reference, document_id=document, document_number=alpha_out(document))

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        with self._held() as holder:
            documents = self._documents_of(holder, reference)
        return self._ack(reference, documents[0]) if documents else None

    # --- orders ---

    def _unit_factors(
        self, holder: list[Transport], materials: list[str]
    ) -> tuple[dict[str, dict[str, Decimal]], dict[str, str]]:
        """Material → unit → base units per unit (MARM), and material → sales unit (MVKE-VRKME, when set)."""
        factors: dict[str, dict[str, Decimal]] = {material: {} for material in materials}
        for row in self.read_in(
            "MARM", ["UMREZ", "UMREN"], keys=["MATNR", "MEINH"], field="MATNR", values=materials, holder=holder
        ):
            numerator, denominator = number(row["UMREZ"]) or Decimal(1), number(row["UMREN"]) or Decimal(1)
            factors.setdefault(row["MATNR"], {})[row["MEINH"]] = numerator / denominator
        where = f"VKORG EQ {literal(self.sales_org)} AND VTWEG EQ {literal(self.distribution_channel)}"
        rows = self.read_in(
            "MVKE",
            ["VRKME"],
            keys=["MATNR", "VKORG", "VTWEG"],
            field="MATNR",
            values=materials,
            where=where,
            holder=holder,
        )
        return factors, {row["MATNR"]: row["VRKME"] for row in rows if row["VRKME"]}

    def _order_tables(self, order: ErpOrder, holder: list[Transport]) -> dict[str, Any]:
        if len(order.reference) > REFERENCE_WIDTH:
            raise PermanentError(f"The order number {order.reference} is longer than PURCH_NO_C's 35 characters")
        header: dict[str, Any] = {
            "DOC_TYPE": self.order_type,
            "SALES_ORG": self.sales_org,
            "DISTR_CHAN": self.distribution_channel,
            "DIVISION": self.division,
            "PURCH_NO_C": order.reference,
            "PURCH_DATE": dats(order.ordered_on),
            "CURRENCY": order.currency,
        }
        if order.requested_on:
            header["REQ_DATE_H"] = dats(order.requested_on)
        if self.po_number_field and order.po_number:
            header[self.po_number_field] = order.po_number[: PO_WIDTHS[self.po_number_field]]
        sold_to = customer_in(order.customer_code)
        ship_to = customer_in(order.delivery_address_code) if order.delivery_address_code.isdigit() else sold_to
        partners = [{"PARTN_ROLE": "AG", "PARTN_NUMB": sold_to}, {"PARTN_ROLE": "WE", "PARTN_NUMB": ship_to}]
        materials = [material_in(line.product_code) for line in order.lines]
        factors, sales_units = self._unit_factors(holder, materials) if self.to_sales_unit else ({}, {})
        items, schedules, conditions, problems = [], [], [], []
        for line, material in zip(order.lines, materials, strict=True):
            position = item_number(line.line_no)
            quantity, unit, price = line.quantity, line.unit, line.unit_price
            if self.to_sales_unit:
                known = factors.get(material, {})
                # The sales unit, else the base unit (the one whose factor is 1).
                target = sales_units.get(material) or next((u for u, f in known.items() if f == 1), unit)
                here, there = known.get(unit), known.get(target)
                if here is None or not there:
                    problems.append(f"line {line.line_no}: SAP has no conversion of {unit} for {line.product_code}")
                    continue
                quantity, price, unit = quantity * here / there, price * there / here, target
            item: dict[str, Any] = {
                "ITM_NUMBER": position,
                "MATERIAL": material,
                "TARGET_QTY": quantity,
                "TARGET_QU": unit,
                "SHORT_TEXT": line.description[:40],
            }
            category = self.item_categories.get(line.product_code) or self.item_categories.get("*")
            if category:
                item["ITEM_CATEG"] = category
            if self.order_plant:
                item["PLANT"] = self.order_plant
            if self.order_storage_location:
                item["STORE_LOC"] = self.order_storage_location
            items.append(item)
            schedule = {"ITM_NUMBER": position, "SCHED_LINE": "0001", "REQ_QTY": quantity}
            if order.requested_on:
                schedule["REQ_DATE"] = dats(order.requested_on)
            schedules.append(schedule)
            if self.price_condition:
                conditions.append(
                    {
                        "ITM_NUMBER": position,
                        "COND_TYPE": self.price_condition,
                        "COND_VALUE": price.quantize(Decimal("0.01")),
                        "CURRENCY": line.currency or order.currency,
                        "COND_UNIT": unit,
                        "COND_P_UNT": 1,
                    }
                )
        if problems:
            raise PermanentError("; ".join(problems))
        return {
            "ORDER_HEADER_IN": header,
            "ORDER_PARTNERS": partners,
            "ORDER_ITEMS_IN": items,
            "ORDER_SCHEDULES_IN": schedules,
            **({"ORDER_CONDITIONS_IN": conditions} if conditions else {}),
        }

    def _refused(self, rows: list[Mapping[str, Any]], what: str) -> ErpError:
        text = f"SAP refused {what}: {describe(rows)}"
        if any(self._busy(row) for row in rows):
            return RetryableError(
                text, code=" ".join(f"{r.get('ID', '')}{r.get('NUMBER', '')}" for r in rows[:1]), details={"busy": True}
            )
        first = rows[0]
        return PermanentError(text, code=f"{first.get('ID', '')} {first.get('NUMBER', '')}".strip())

    def _rollback(self, holder: list[Transport]) -> None:
        try:
            holder[0].call("BAPI_TRANSACTION_ROLLBACK")
        except RfcFailure as failure:  # a broken session takes its uncommitted work with it anyway
            logger.info("SAP rollback failed (%s); the session's work is gone with it", failure.message)

    def _commit(self, holder: list[Transport], what: str) -> None:
        """Commit the session's work and wait for the update; a commit without an answer leaves the outcome
        unknown."""
        try:
            answer = holder[0].call("BAPI_TRANSACTION_COMMIT", WAIT="X")
        except RfcFailure as failure:
            raise OutcomeUnknownError(
                f"SAP did not answer the commit of {what}: {failure.message}", code=failure.key
            ) from None
        problems = failures(answer.get("RETURN"))
        if problems:
            raise OutcomeUnknownError(f"SAP's update of {what} reported: {describe(problems)}")

    def _run(self, holder: list[Transport], name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """A BAPI that writes to the session's uncommitted work: a broken session loses it (retryable)."""
        try:
            return holder[0].call(name, **params)
        except RfcFailure as failure:
            if failure.kind in ("communication", "cancelled"):
                holder[0].close()
            raise failure_error(failure, what=f"{name} failed") from None

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        with self._held() as holder:
            documents = self._documents_of(holder, order.reference, order.customer_code)
            if documents:
                return self._ack(order.reference, documents[0])
            tables = self._order_tables(order, holder)
            answer = self._run(holder, CREATE, tables)
            problems = failures(answer.get("RETURN"))
            document = str(answer.get("SALESDOCUMENT") or "").strip()
            if problems or not document:
                self._rollback(holder)
                raise self._refused(
                    problems or [{"MESSAGE": "no sales document number came back"}], f"order {order.reference}"
                )
            self._commit(holder, f"order {order.reference}")
        logger.info("SAP order %s created for %s", alpha_out(document), order.reference)
        return self._ack(order.reference, document)

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        if not self.rejection_reason:
            raise PermanentError("SAP RFC adapter: no 'rejection_reason' is configured, so orders are not cancelled")
        with self._held() as holder:
            document = document_in(cancel.document_id) if cancel.document_id else ""
            if not document:
                found = self._documents_of(holder, cancel.reference)
                if not found:
                    raise PermanentError(f"SAP has no order {cancel.reference} to cancel")
                document = found[0]
            status = self._read_call(holder, "BAPI_SALESORDER_GETSTATUS", SALESDOCUMENT=document)
            problems = failures(status.get("RETURN"))
            if problems:
                raise PermanentError(f"SAP cannot say the status of {alpha_out(document)}: {describe(problems)}")
            rows = status.get("STATUSINFO") or []
            if any(str(r.get("DELIV_NUMB") or "").strip() or r.get("DLV_STAT_I") in ("B", "C") for r in rows):
                raise PermanentError(
                    f"SAP has delivered from order {alpha_out(document)}: it can no longer be cancelled"
                )
            open_items = sorted({str(r["ITM_NUMBER"]) for r in rows if not str(r.get("REA_FOR_RE") or "").strip()})
            ack = ErpAck(reference=cancel.reference, document_id=document, document_number=alpha_out(document))
            if not open_items:
                return ack  # rejected already (an earlier attempt's commit went through)
            params = {
                "SALESDOCUMENT": document,
                "ORDER_HEADER_INX": {"UPDATEFLAG": "U"},
                "ORDER_ITEM_IN": [{"ITM_NUMBER": item, "REASON_REJ": self.rejection_reason} for item in open_items],
                "ORDER_ITEM_INX": [{"ITM_NUMBER": item, "UPDATEFLAG": "U", "REASON_REJ": "X"} for item in open_items],
            }
            answer = self._run(holder, "BAPI_SALESORDER_CHANGE", params)
            problems = failures(answer.get("RETURN"))
            if problems:
                self._rollback(holder)
                raise self._refused(problems, f"the cancellation of {alpha_out(document)}")
            self._commit(holder, f"the cancellation of {alpha_out(document)}")
        return ack
