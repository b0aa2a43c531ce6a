"""What the API answers, as plain JSON-ready dicts made from the domain's own values (``Price``/``NoPrice``,
``Availability``, quick order's ``PreviewLine``, orders, quotes, documents, the account's figures). Nothing is
decided here: every figure comes from the module that decides it. ``api.serializers`` describes these shapes for
the OpenAPI schema."""

from __future__ import annotations

from decimal import Decimal

from catalog.availability import Availability
from catalog.prices import PriceResult


def _d(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dt(value) -> str | None:
    return value.isoformat() if value else None


def price_report(price: PriceResult, *, explain: bool = False) -> dict:
    if not price.exists:
        report = {"priced": False, "reason": price.reason, "message": str(price.message)}
        if explain:
            report["explanation"] = str(price.explanation)
        return report
    report = {
        "priced": True,
        "currency": price.currency,
        "quantity": _d(price.quantity),
        "unit": price.unit_code,
        "unit_factor": _d(price.unit_factor),
        "net": _d(price.net),
        "vat_rate": _d(price.vat_rate),
        "vat": _d(price.vat),
        "gross": _d(price.gross),
        "priced_on": price.priced_on.isoformat(),
    }
    if explain:
        line = price.line()
        report["line"] = {"net": _d(line.net), "vat": _d(line.vat), "gross": _d(line.gross)}
        report["explanation"] = str(price.explanation)
        report["steps"] = [
            {"kind": step.kind, "amount": _d(step.amount), "currency": step.currency, "text": str(step.text())}
            for step in price.steps
        ]
    return report


def availability_report(availability: Availability, *, warehouses: bool = False) -> dict:
    report = {
        "available": _d(availability.available),
        "status": availability.status,
        "as_of": _dt(availability.as_of),
    }
    if warehouses:
        report["warehouses"] = [
            {"code": w.code, "name": w.name, "available": _d(w.available), "as_of": _dt(w.as_of)}
            for w in availability.warehouses
        ]
    return report


def product_report(product, price: PriceResult, availability: Availability, packs) -> dict:
    return {
        "sku": product.sku,
        "name": product.name,
        "name_en": product.name_en,
        "barcode": product.barcode,
        "brand": product.brand.name if product.brand_id else None,
        "category": product.category.code if product.category_id else None,
        "unit": {"code": product.base_unit.code, "decimals": product.base_unit.decimals},
        "packs": [
            {"unit": pack.unit.code, "factor": _d(pack.factor), "barcode": pack.barcode}
            for pack in packs
            if pack.is_sales_unit and pack.unit_id != product.base_unit_id
        ],
        "vat_rate": _d(product.vat_rate),
        "min_order_qty": _d(product.min_order_qty),
        "order_multiple": _d(product.order_multiple),
        "price": price_report(price),
        "availability": availability_report(availability),
        "updated_at": _dt(product.updated_at),
    }


def row_report(lines) -> list[dict]:
    """Quick order's preview lines (``orders.quick_order.PreviewLine``) as the API's row report."""
    return [
        {
            "line_nos": list(line.line_nos),
            "sku": line.row.sku,
            "status": line.status,
            "orderable": line.can_be_added,
            "product": line.product.sku if line.product is not None else None,
            "requested": _d(line.requested if line.requested is not None else line.row.quantity),
            "quantity": _d(line.quantity),
            "unit": line.unit.code
            if line.unit is not None
            else (line.product.base_unit.code if line.product else None),
            "price": price_report(line.price) if line.price is not None else None,
            "message": str(line.message),
        }
        for line in lines
    ]


def order_report(order, *, lines: bool = False) -> dict:
    report = {
        "number": order.number,
        "status": order.status,
        "po_number": order.po_number,
        "payment_method": order.payment_method,
        "currency": order.currency,
        "total_net": _d(order.total_net),
        "total_vat": _d(order.total_vat),
        "total_gross": _d(order.total_gross),
        "placed_at": _dt(order.placed_at),
        "updated_at": _dt(order.updated_at),
        "requested_delivery_date": _dt(order.requested_delivery_date),
        "erp_document_number": order.erp_document_number,
    }
    if lines:
        report["note"] = order.note
        report["delivery_address"] = order.delivery_address_text
        report["hold_reasons"] = [
            reason.get("rule", "") if isinstance(reason, dict) else "" for reason in order.hold_reasons
        ]
        report["lines"] = [
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "name": line.name,
                "unit": line.unit_code,
                "quantity": _d(line.quantity),
                "unit_price_net": _d(line.unit_price_net),
                "vat_rate": _d(line.vat_rate),
                "line_net": _d(line.line_net),
                "line_vat": _d(line.line_vat),
                "line_gross": _d(line.line_gross),
                "shipped": _d(line.shipped_qty),
                "backordered": _d(line.backordered_qty),
            }
            for line in order.lines.all()
        ]
    return report


def status_change_report(change) -> dict:
    return {
        "from_status": change.from_status,
        "status": change.to_status,
        "source": change.source,
        "reason": change.reason,
        "changed_at": _dt(change.created_at),
    }


def quote_report(quote, versions=None) -> dict:
    report = {
        "number": quote.number,
        "status": quote.status,
        "order": quote.order.number if quote.order_id else None,
        "created_at": _dt(quote.created_at),
        "updated_at": _dt(quote.updated_at),
        "sent_version": getattr(quote, "sent_version", None),
        "sent_total": _d(getattr(quote, "sent_total", None)),
        "valid_until": _dt(getattr(quote, "sent_valid_until", None)),
    }
    if versions is not None:
        report["versions"] = [
            {
                "number": version.number,
                "valid_until": _dt(version.valid_until),
                "sent_at": _dt(version.sent_at),
                "total_gross": _d(version.total_gross),
                "lines": [
                    {
                        "line_no": line.line_no,
                        "sku": line.product.sku,
                        "unit": line.unit.code if line.unit_id else line.product.base_unit.code,
                        "quantity": _d(line.quantity),
                        "quoted_price_net": _d(line.quoted_price_net),
                        "quoted_price_gross": _d(line.quoted_price_gross),
                        "vat_rate": _d(line.vat_rate),
                    }
                    for line in version.shown_lines
                ],
            }
            for version in versions
        ]
    return report


def document_report(document, *, lines=None) -> dict:
    report = {
        "id": document.pk,
        "kind": document.kind,
        "number": document.number,
        "issued_on": _dt(document.issued_on),
        "due_on": _dt(document.due_on),
        "currency": document.currency,
        "net": _d(document.net),
        "vat": _d(document.vat),
        "gross": _d(document.gross),
        "order": document.order.number if document.order_id else None,
        "carrier": document.carrier,
        "tracking_number": document.tracking_number,
        "tracking_url": document.tracking_url,
        "as_of": _dt(document.as_of),
    }
    if lines is not None:
        report["lines"] = [
            {
                "line_no": line.line_no,
                "item_code": line.item_code,
                "sku": line.product.sku if line.product_id else None,
                "description": line.description,
                "quantity": _d(line.quantity),
                "unit": line.unit,
                "unit_price": _d(line.unit_price),
                "discount_percent": _d(line.discount_percent),
                "vat_rate": _d(line.vat_rate),
                "line_net": _d(line.line_net),
                "line_vat": _d(line.line_vat),
            }
            for line in lines
        ]
    return report
