"""Carts, orders, their lines and the audit of every status change."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from b2bportal.models import TimeStampedModel, currency_field, money_field, quantity_field
from orders.status import OrderStatus


class Cart(TimeStampedModel):
    """A dealer user's cart. ``active`` is the one being filled; ``saved`` carts are named lists to reuse."""

    class Kind(models.TextChoices):
        ACTIVE = "active", _("Active cart")
        SAVED = "saved", _("Saved list")

    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="carts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="carts"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.ACTIVE)
    name = models.CharField(_("name"), max_length=100, blank=True)
    is_shared = models.BooleanField(_("shared with the dealer's users"), default=False)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "owner"], condition=Q(kind="active"), name="cart_one_active_per_user"
            ),
            models.CheckConstraint(condition=Q(kind="active") | ~Q(name=""), name="cart_saved_has_name"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} #{self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        "catalog.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = quantity_field(_("quantity"))
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["added_at", "id"]
        constraints = [
            # "No unit" (the base unit) counts as one unit; COALESCE rather than NULLS NOT DISTINCT, which SQLite
            # lacks.
            models.UniqueConstraint("cart", "product", Coalesce("unit", Value(0)), name="cart_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"


class Order(TimeStampedModel):
    class PaymentMethod(models.TextChoices):
        ON_ACCOUNT = "on_account", _("On account")
        CARD = "card", _("Card")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    number = models.CharField(_("order number"), max_length=32, unique=True)
    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="orders"
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders_placed",
    )
    po_number = models.CharField(_("PO number"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=32, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    payment_method = models.CharField(
        _("payment method"), max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.ON_ACCOUNT
    )
    currency = currency_field(default="TRY")
    total_net = money_field(_("net total"), default=Decimal("0"))
    total_vat = money_field(_("VAT total"), default=Decimal("0"))
    total_gross = money_field(_("total"), default=Decimal("0"))
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, editable=False)
    delivery_address = models.ForeignKey(
        "dealers.DealerAddress",
        verbose_name=_("delivery address"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    delivery_address_text = models.TextField(
        _("delivery address as ordered"),
        blank=True,
        help_text=_("A copy: later edits to the address do not change it."),
    )
    requested_delivery_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    hold_reasons = models.JSONField(_("hold reasons"), default=list, blank=True)
    placement_checks = models.JSONField(
        _("placement checks"),
        default=list,
        blank=True,
        help_text=_("Every rule checked when the order was placed, with its figures at that moment."),
    )
    confirmation_sent_at = models.DateTimeField(_("confirmation e-mail sent"), null=True, blank=True)
    confirmation_claimed_at = models.DateTimeField(
        _("confirmation e-mail being sent since"),
        null=True,
        blank=True,
        help_text=_("Set while a worker renders and sends the confirmation; another may take over once it is old."),
    )
    erp_document_number = models.CharField(_("ERP document number"), max_length=64, blank=True, db_index=True)
    placed_at = models.DateTimeField(_("placed at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        permissions = [("override_credit", _("Can approve an order above the dealer's credit limit"))]
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "idempotency_key"], name="order_idempotency_key_unique_per_dealer"
            ),
            models.CheckConstraint(condition=Q(total_net__gte=0), name="order_total_net_non_negative"),
            models.CheckConstraint(condition=Q(total_vat__gte=0), name="order_total_vat_non_negative"),
            models.CheckConstraint(condition=Q(total_gross__gte=0), name="order_total_gross_non_negative"),
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_valid"),
        ]
        indexes = [models.Index(fields=["dealer", "status"], name="order_dealer_status_idx")]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    """A line with the price as it was when ordered: what the dealer pays never changes afterwards."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(_("line"))
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    unit_code = models.CharField(_("unit"), max_length=16)
    unit_factor = models.DecimalField(_("base units per unit"), max_digits=14, decimal_places=6, default=Decimal("1"))
    quantity = quantity_field(_("quantity"))
    unit_price_net = models.DecimalField(_("unit price (net)"), max_digits=16, decimal_places=4)
    unit_price_gross = models.DecimalField(_("unit price (gross)"), max_digits=16, decimal_places=4)
    vat_rate = models.DecimalField(_("VAT rate %"), max_digits=5, decimal_places=2)
    line_net = money_field(_("net amount"))
    line_vat = money_field(_("VAT"))
    line_gross = money_field(_("amount"))
    price_list_currency = currency_field(_("price list currency"), blank=True)
    exchange_rate = models.DecimalField(_("exchange rate"), max_digits=18, decimal_places=6, null=True, blank=True)
    exchange_rate_date = models.DateField(_("exchange rate date"), null=True, blank=True)
    price_explanation = models.JSONField(_("price explanation"), default=list, blank=True)
    shipped_qty = quantity_field(_("shipped"), default=Decimal("0"))
    backordered_qty = quantity_field(_("backordered"), default=Decimal("0"))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="order_line_unique_number"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price_net__gte=0), name="order_line_price_non_negative"),
            models.CheckConstraint(condition=Q(shipped_qty__gte=0), name="order_line_shipped_non_negative"),
            models.CheckConstraint(condition=Q(backordered_qty__gte=0), name="order_line_backordered_non_negative"),
            models.CheckConstraint(condition=Q(unit_factor__gt=0), name="order_line_unit_factor_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no} {self.sku} × {self.quantity}"

    @property
    def display_name(self) -> str:
        """The product's name as ordered, in the reader's language: the English name the catalogue had then, if
        it had one, for an English reader; otherwise the Turkish name."""
        if (translation.get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class OrderStatusChange(models.Model):
    """Audit row for each status change: who, when, from, to, why."""

    class Source(models.TextChoices):
        DEALER = "dealer", _("Dealer")
        STAFF = "staff", _("Staff")
        ERP = "erp", _("ERP")
        PAYMENT = "payment", _("Payment")
        SYSTEM = "system", _("System")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(
        pgettext_lazy("status change", "from"), max_length=32, choices=OrderStatus.choices, blank=True
    )
    to_status = models.CharField(pgettext_lazy("status change", "to"), max_length=32, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.SYSTEM)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("order status change")
        verbose_name_plural = _("order status changes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class StockReservation(models.Model):
    """Stock set aside in one warehouse for an order line, until the ERP takes the order over (then its own
    commitment counts) or the order is rejected or cancelled. ``released_at`` marks the end; the matching
    ``StockLevel.reserved_portal`` is changed in the same transaction, only by ``orders.services``."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="reservations")
    line = models.ForeignKey(OrderLine, verbose_name=_("line"), on_delete=models.CASCADE, related_name="reservations")
    stock_level = models.ForeignKey(
        "catalog.StockLevel", verbose_name=_("stock"), on_delete=models.PROTECT, related_name="reservations"
    )
    quantity = quantity_field(_("quantity (base unit)"))
    created_at = models.DateTimeField(_("reserved at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock reservation")
        verbose_name_plural = _("stock reservations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="stock_reservation_quantity_positive"),
            models.UniqueConstraint(fields=["line", "stock_level"], name="stock_reservation_unique_per_line"),
        ]
        indexes = [
            models.Index(fields=["order"], condition=Q(released_at__isnull=True), name="stock_reservation_open_idx")
        ]

    def __str__(self) -> str:
        return f"{self.line_id}@{self.stock_level_id}: {self.quantity}"


class HeldOrderManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(status__in=[OrderStatus.ON_HOLD, OrderStatus.AWAITING_DEALER_APPROVAL])


class HeldOrder(Order):
    """Orders waiting for a decision — the staff approval queue in the admin."""

    objects = HeldOrderManager()

    class Meta:
        proxy = True
        verbose_name = _("order waiting for approval")
        verbose_name_plural = _("approval queue")


# -- quotes (requests for quotation) --------------------------------------------------------------------------------


class QuoteStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    DRAFT = "draft", pgettext_lazy("quote status", "Being priced")
    SENT = "sent", pgettext_lazy("quote status", "Sent")
    ACCEPTED = "accepted", pgettext_lazy("quote status", "Accepted")
    DECLINED = "declined", pgettext_lazy("quote status", "Declined")
    REVISION_REQUESTED = "revision_requested", _("Revision requested")
    EXPIRED = "expired", pgettext_lazy("quote status", "Expired")
    CANCELLED = "cancelled", pgettext_lazy("quote status", "Cancelled")


class Quote(TimeStampedModel):
    """A dealer's request for a quotation and its life: priced and sent by staff in versions (each frozen once
    sent), then accepted (it becomes an order), declined, sent back for a revision, expired or cancelled. The
    status moves only through ``orders.services.quotes``, which writes a ``QuoteEvent`` for every step."""

    number = models.CharField(_("quote number"), max_length=32, unique=True)
    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="quotes"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="quotes_requested",
    )
    note = models.TextField(_("note from the dealer"), blank=True)
    status = models.CharField(
        _("status"), max_length=32, choices=QuoteStatus.choices, default=QuoteStatus.REQUESTED, db_index=True
    )
    currency = currency_field(default="TRY")
    order = models.OneToOneField(
        Order,
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quote",
    )
    order_key = models.UUIDField(
        _("order idempotency key"),
        default=uuid.uuid4,
        editable=False,
        unique=True,
        help_text=_("The key of the order an acceptance places: two acceptances place one order."),
    )
    erp_document_number = models.CharField(_("ERP document number"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-id"]
        permissions = [("price_quote", _("Can price and send quotes to dealers"))]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=QuoteStatus.values), name="quote_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(order__isnull=False), name="quote_accepted_has_order"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class QuoteVersion(models.Model):
    """One pricing of a quote. Editable while a draft; ``sent_at`` freezes it for good."""

    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    terms = models.TextField(_("terms"), blank=True)
    total_net = money_field(_("net total"), default=Decimal("0"))
    total_vat = money_field(_("VAT total"), default=Decimal("0"))
    total_gross = money_field(_("total"), default=Decimal("0"))
    checks = models.JSONField(
        _("stock and credit when priced"),
        default=dict,
        blank=True,
        help_text=_("The dealer's credit and each line's available stock when the version was priced."),
    )
    priced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("priced by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    priced_at = models.DateTimeField(_("priced at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote version")
        verbose_name_plural = _("quote versions")
        ordering = ["quote_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "number"], name="quote_version_unique_number"),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(valid_until__isnull=False), name="quote_version_sent_has_validity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quote_id} v{self.number}"

    @property
    def reference(self) -> str:
        return f"{self.quote.number}/{self.number}"


class QuoteLine(models.Model):
    """A line of a version: what the dealer asked for (quantity, optional target price), the dealer's normal price
    with its explanation when priced, and the quoted price (a net price, or a discount off the normal one)."""

    version = models.ForeignKey(QuoteVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(_("line"))
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "catalog.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit_code = models.CharField(_("unit"), max_length=16, blank=True)
    quantity = quantity_field(_("quantity"))
    target_price = models.DecimalField(
        _("target unit price (net)"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    normal_price_net = models.DecimalField(
        _("normal unit price (net)"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    normal_explanation = models.JSONField(_("normal price explanation"), default=list, blank=True)
    discount_percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, null=True, blank=True)
    quoted_price_net = models.DecimalField(
        _("quoted unit price (net)"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    quoted_price_gross = models.DecimalField(
        _("quoted unit price (gross)"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    vat_rate = models.DecimalField(_("VAT rate %"), max_digits=5, decimal_places=2, null=True, blank=True)
    line_net = money_field(_("net amount"), null=True, blank=True)
    line_gross = money_field(_("amount"), null=True, blank=True)
    quoted_explanation = models.JSONField(_("quoted price explanation"), default=list, blank=True)
    available_when_priced = quantity_field(_("available when priced"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["version_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["version", "line_no"], name="quote_line_unique_number"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quote_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quoted_price_net__isnull=True) | Q(quoted_price_net__gte=0),
                name="quote_line_price_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__isnull=True) | (Q(discount_percent__gte=0) & Q(discount_percent__lt=100)),
                name="quote_line_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}/{self.line_no} {self.product_id} × {self.quantity}"


class QuoteEvent(models.Model):
    """The audit of a quote: every step, who took it, from which status to which, with a note."""

    class Action(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PRICED = "priced", _("Priced")
        SENT = "sent", pgettext_lazy("quote action", "Sent")
        ACCEPTED = "accepted", pgettext_lazy("quote action", "Accepted")
        DECLINED = "declined", pgettext_lazy("quote action", "Declined")
        REVISION_REQUESTED = "revision_requested", _("Revision requested")
        REVISED = "revised", _("New version started")
        EXPIRED = "expired", pgettext_lazy("quote action", "Expired")
        CANCELLED = "cancelled", pgettext_lazy("quote action", "Cancelled")

    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="events")
    version_number = models.PositiveIntegerField(_("version"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    from_status = models.CharField(
        pgettext_lazy("status change", "from"), max_length=32, choices=QuoteStatus.choices, blank=True
    )
    to_status = models.CharField(pgettext_lazy("status change", "to"), max_length=32, choices=QuoteStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("quote event")
        verbose_name_plural = _("quote history")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.quote_id}: {self.action}"


class RecurringOrder(TimeStampedModel):
    """A saved list ordered again on a schedule, in its owner's name: every ``interval_weeks`` weeks from
    ``start_date``, or on ``day_of_month`` each month (29–31 fall on the month's last day in shorter months), until
    ``end_date`` when there is one. Each run is recorded once per date (``RecurringRun``); the arithmetic of which
    days are due lives in ``orders.recurring``."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Every few weeks")
        MONTHLY = "monthly", _("On a day of the month")

    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="recurring_orders"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="recurring_orders"
    )
    saved_list = models.ForeignKey(
        Cart, verbose_name=_("saved list"), on_delete=models.CASCADE, related_name="recurring_orders"
    )
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY)
    interval_weeks = models.PositiveSmallIntegerField(_("every how many weeks"), default=1)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    start_date = models.DateField(_("first date"))
    end_date = models.DateField(_("last date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    payment_method = models.CharField(
        _("payment method"), max_length=16, choices=Order.PaymentMethod.choices, default=Order.PaymentMethod.ON_ACCOUNT
    )
    delivery_address = models.ForeignKey(
        "dealers.DealerAddress",
        verbose_name=_("delivery address"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("recurring order")
        verbose_name_plural = _("recurring orders")
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(interval_weeks__gte=1), name="recurring_interval_positive"),
            models.CheckConstraint(
                condition=Q(frequency="weekly") | Q(day_of_month__gte=1, day_of_month__lte=31),
                name="recurring_monthly_has_day",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="recurring_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.saved_list} ({self.get_frequency_display()})"


class RecurringRun(models.Model):
    """One date of a recurring order: placed (with its order, which may wait for an approval like any other) or
    skipped with the reasons. ``(recurring, run_on)`` is unique: a date is run once."""

    class Outcome(models.TextChoices):
        PLACED = "placed", _("Placed")
        SKIPPED = "skipped", _("Skipped")

    recurring = models.ForeignKey(
        RecurringOrder, verbose_name=_("recurring order"), on_delete=models.CASCADE, related_name="runs"
    )
    run_on = models.DateField(_("date"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reasons = models.JSONField(
        _("reasons"),
        default=list,
        blank=True,
        help_text=_("Why the order was not placed: the rules that refused it, or the refusal as it was worded."),
    )
    created_at = models.DateTimeField(_("run at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recurring order run")
        verbose_name_plural = _("recurring order runs")
        ordering = ["-run_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["recurring", "run_on"], name="recurring_run_once_per_date")]

    def __str__(self) -> str:
        return f"{self.recurring_id} {self.run_on}: {self.outcome}"


class DealerItemCode(TimeStampedModel):
    """A dealer's own code for a product (its purchasing system's item number), with the unit it means when the
    code names a pack. Read before SKUs and barcodes wherever a dealer names products by code
    (``orders/items.py``): quick order, the API and EDI orders."""

    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="item_codes"
    )
    code = models.CharField(_("dealer's item code"), max_length=64)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="dealer_codes"
    )
    unit = models.ForeignKey(
        "catalog.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The pack this code orders; empty: the product's base unit."),
    )

    class Meta:
        verbose_name = _("dealer item code")
        verbose_name_plural = _("dealer item codes")
        ordering = ["dealer_id", "code"]
        constraints = [models.UniqueConstraint(fields=["dealer", "code"], name="dealer_item_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} → {self.product_id}"


class EdiMessage(models.Model):
    """One EDI order message as received (a UBL Order, or one ORDERS message of an EDIFACT interchange) with the
    answer sent back. ``(sender, reference, message_reference)`` — the interchange control reference and, within
    an EDIFACT interchange, the message reference — is unique: the same interchange twice is answered with the
    stored first answer. Every message of one interchange holds the same answering interchange (``response``) and
    CONTRL report (``contrl``)."""

    class Format(models.TextChoices):
        UBL = "ubl", _("UBL 2.1 Order")
        EDIFACT = "edifact", _("EDIFACT ORDERS")
        UNKNOWN = "unknown", _("Unknown")

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        CHANGED = "changed", _("Accepted with changes")
        REJECTED = "rejected", _("Rejected")
        MALFORMED = "malformed", _("Malformed")
        RECEIVED = "received", _("Received, being placed")

    class Channel(models.TextChoices):
        API = "api", _("API upload")
        FOLDER = "folder", _("Drop folder")

    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    channel = models.CharField(_("received through"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    dealer = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("dealer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="edi_messages",
    )
    sender = models.CharField(_("sender"), max_length=64, blank=True)
    reference = models.CharField(_("interchange reference"), max_length=64, blank=True)
    message_reference = models.CharField(
        _("message reference"),
        max_length=14,
        blank=True,
        default="",
        db_default="",
        help_text=_("EDIFACT UNH message reference, unique within the interchange."),
    )
    document_number = models.CharField(_("order number in the message"), max_length=64, blank=True)
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.SET_NULL, null=True, blank=True, related_name="edi_messages"
    )
    error = models.TextField(_("error"), blank=True)
    payload = models.TextField(_("message as received"))
    response = models.TextField(_("answer"), blank=True)
    contrl = models.TextField(
        _("CONTRL report"),
        blank=True,
        default="",
        db_default="",
        help_text=_(
            "The EDIFACT syntax and service report sent back: when the sender asked for one, or when the "
            "interchange was refused for its syntax."
        ),
    )
    claimed_until = models.DateTimeField(
        _("being received until"),
        null=True,
        blank=True,
        help_text=_(
            "While the messages are being placed; a receipt interrupted before then is finished when the "
            "interchange is sent again after it."
        ),
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("EDI message")
        verbose_name_plural = _("EDI messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "reference", "message_reference"],
                condition=~Q(reference=""),
                name="edi_message_interchange_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.sender}/{self.reference}: {self.status}"
