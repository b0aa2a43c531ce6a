"""Dealers (bayi / cari hesap), their users, addresses, IBANs, and the audit of their commercial terms."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from b2bportal.models import TimeStampedModel, currency_field, money_field, quantity_field
from dealers.validators import (
    normalize_iban,
    normalize_tax_number,
    validate_gln,
    validate_iban,
    validate_tax_number,
)


class SalesRep(TimeStampedModel):
    """A sales representative (plasiyer), as the ERP knows them; optionally a portal user."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales_rep",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("sales representative")
        verbose_name_plural = _("sales representatives")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PaymentTerms(TimeStampedModel):
    """Payment terms (vade), e.g. 'Net 30 days'."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    days = models.PositiveSmallIntegerField(_("days until due"), default=0)

    class Meta:
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        ordering = ["days", "code"]

    def __str__(self) -> str:
        return self.name


def gln_field(help_text) -> models.CharField:
    """An optional GLN, checked by its check digit; a database default too, as the ERP imports insert rows in SQL."""
    return models.CharField(
        _("GLN"),
        max_length=13,
        blank=True,
        default="",
        db_default="",
        validators=[validate_gln],
        help_text=help_text,
    )


class Dealer(TimeStampedModel):
    """A dealer's customer account. Balance, credit limit and hold are the ERP's figures, each with its *as of*."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        QUARANTINED = "quarantined", _("Quarantined")
        INACTIVE = "inactive", _("Inactive")

    code = models.CharField(_("code"), max_length=40, unique=True, help_text=_("The customer account code in the ERP."))
    title = models.CharField(_("title"), max_length=255)
    tax_number = models.CharField(
        _("tax number"),
        max_length=11,
        validators=[validate_tax_number],
        help_text=_("VKN (10 digits) or TCKN (11 digits)."),
    )
    tax_office = models.CharField(_("tax office"), max_length=100, blank=True)
    gln = gln_field(_("Global Location Number (13 digits) as the dealer's purchasing system sends it in EDI orders."))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent dealer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
        help_text=_("For a branch: the dealer it belongs to."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    currency = currency_field(default="TRY")
    price_list = models.ForeignKey(
        "catalog.PriceList",
        verbose_name=_("price list"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dealers",
    )
    payment_terms = models.ForeignKey(
        PaymentTerms, verbose_name=_("payment terms"), on_delete=models.PROTECT, null=True, blank=True
    )
    sales_rep = models.ForeignKey(
        SalesRep,
        verbose_name=_("sales representative"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dealers",
    )
    credit_limit = money_field(_("credit limit"), default=Decimal("0"))
    credit_limit_as_of = models.DateTimeField(_("credit limit as of"), null=True, blank=True)
    erp_balance = money_field(
        _("ERP balance"), default=Decimal("0"), help_text=_("Positive: the dealer owes us. From the ERP.")
    )
    erp_balance_as_of = models.DateTimeField(_("balance as of"), null=True, blank=True)
    erp_open_orders = money_field(
        _("open orders in the ERP"),
        default=Decimal("0"),
        help_text=_("Orders accepted by the ERP and not yet invoiced; part of the credit exposure."),
    )
    erp_open_orders_as_of = models.DateTimeField(_("open orders as of"), null=True, blank=True)
    ledger_as_of = models.DateTimeField(
        _("account movements as of"), null=True, blank=True, help_text=_("When the ERP last sent the movements.")
    )
    credit_hold = models.BooleanField(
        _("credit hold"), default=False, help_text=_("On hold the dealer cannot order on account.")
    )
    credit_hold_reason = models.CharField(_("credit hold reason"), max_length=255, blank=True)
    credit_hold_as_of = models.DateTimeField(_("credit hold as of"), null=True, blank=True)
    requires_manual_review = models.BooleanField(
        _("review every order"), default=False, help_text=_("Every order waits for staff approval.")
    )
    po_number_required = models.BooleanField(_("PO number required"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(_("status reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="dealer_credit_limit_non_negative"),
            models.CheckConstraint(condition=Q(erp_open_orders__gte=0), name="dealer_erp_open_orders_non_negative"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "quarantined", "inactive"]), name="dealer_status_valid"
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="dealer_not_own_parent"),
            models.CheckConstraint(condition=Q(tax_number__regex=r"^[0-9]{10,11}$"), name="dealer_tax_number_digits"),
            # Customers are matched by tax number: one head account per tax number. Branches share
            # their parent's tax number.
            models.UniqueConstraint(
                fields=["tax_number"], condition=Q(parent__isnull=True), name="dealer_tax_number_unique_for_heads"
            ),
        ]
        indexes = [
            models.Index(fields=["tax_number"], name="dealer_tax_number_idx"),
            models.Index(fields=["gln"], name="dealer_gln_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def clean(self) -> None:
        super().clean()
        self.tax_number = normalize_tax_number(self.tax_number)


class DealerUser(TimeStampedModel):
    """A person's membership of one dealer, with a role and an order approval limit."""

    class Role(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        APPROVER = "approver", _("Approver")
        ADMIN = "admin", _("Dealer admin")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="dealer_user"
    )
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="users")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.BUYER)
    approval_limit = money_field(
        _("order approval limit"),
        null=True,
        blank=True,
        help_text=_("Orders above this total wait for the dealer's approver. Empty: no limit."),
    )
    sees_account = models.BooleanField(
        _("sees the statement of account"),
        default=False,
        help_text=_("Approvers and dealer admins always do; a buyer only when this is ticked."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dealer user")
        verbose_name_plural = _("dealer users")
        constraints = [
            models.CheckConstraint(
                condition=Q(approval_limit__isnull=True) | Q(approval_limit__gte=0),
                name="dealer_user_approval_limit_non_negative",
            ),
            models.CheckConstraint(condition=Q(role__in=["buyer", "approver", "admin"]), name="dealer_user_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.dealer.code}"

    @property
    def can_approve(self) -> bool:
        return self.role in (self.Role.APPROVER, self.Role.ADMIN)

    @property
    def can_see_account(self) -> bool:
        """The statement of account, ageing and paying open items: approvers, dealer admins, and buyers allowed."""
        return self.can_approve or self.sees_account


class DealerInvitation(TimeStampedModel):
    """The one-time link that lets an invited dealer user choose a password. One per dealer user: sending it
    again moves ``expires_at``, which invalidates the link sent before (see ``dealers.tokens``)."""

    dealer_user = models.OneToOneField(
        DealerUser, verbose_name=_("dealer user"), on_delete=models.CASCADE, related_name="invitation"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_count = models.PositiveSmallIntegerField(_("times sent"), default=1)
    expires_at = models.DateTimeField(_("link expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dealer user invitation")
        verbose_name_plural = _("dealer user invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.dealer_user)

    @property
    def is_pending(self) -> bool:
        """Not accepted yet and not expired (whether the link still works also depends on the user being active)."""
        return self.accepted_at is None and self.expires_at > timezone.now()


class DealerAddress(TimeStampedModel):
    """A dealer's billing or delivery address. Most come from the ERP (with its ``code``); a dealer admin may
    propose a delivery address in the portal, which stays inactive until staff approve it."""

    class Kind(models.TextChoices):
        BILLING = "billing", _("Billing")
        SHIPPING = "shipping", _("Delivery")

    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        PROPOSED = "proposed", _("Waiting for approval")
        REFUSED = "refused", _("Refused")

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SHIPPING)
    code = models.CharField(_("code"), max_length=40, blank=True, help_text=_("The address code in the ERP."))
    name = models.CharField(_("name"), max_length=150)
    line1 = models.CharField(_("address"), max_length=255)
    line2 = models.CharField(_("address (continued)"), max_length=255, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="TR")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    gln = gln_field(_("Global Location Number of the store or warehouse, as EDI orders name their delivery point."))
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    status = models.CharField(
        _("approval"),
        max_length=16,
        choices=Status.choices,
        default=Status.APPROVED,
        # The ERP import inserts addresses in SQL: they are the ERP's, so approved.
        db_default=Status.APPROVED,
        help_text=_("An address a dealer admin proposed is used only once staff approved it."),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note to the dealer"), max_length=255, blank=True, db_default="")
    erp_note = models.CharField(
        _("in the ERP"),
        max_length=255,
        blank=True,
        db_default="",
        help_text=_(
            "For an approved proposal: whether it went to the ERP as a ship-to address, or stays in the portal."
        ),
    )

    class Meta:
        verbose_name = _("dealer address")
        verbose_name_plural = _("dealer addresses")
        ordering = ["dealer_id", "-is_default", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["approved", "proposed", "refused"]), name="dealer_address_status_valid"
            ),
            # An EDI delivery point names one address of the dealer (a refused proposal does not count).
            models.UniqueConstraint(
                fields=["dealer", "gln"], condition=~Q(gln="") & ~Q(status="refused"), name="dealer_address_gln_once"
            ),
            # Orders offer active addresses only: one waiting for approval or refused is never active.
            models.CheckConstraint(
                condition=Q(status="approved") | Q(is_active=False, is_default=False),
                name="dealer_address_active_only_when_approved",
            ),
            models.UniqueConstraint(
                fields=["dealer", "kind"], condition=Q(is_default=True), name="dealer_address_one_default_per_kind"
            ),
            models.UniqueConstraint(
                fields=["dealer", "code"], condition=~Q(code=""), name="dealer_address_code_unique_per_dealer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"

    def as_text(self) -> str:
        parts = [
            self.name,
            self.line1,
            self.line2,
            " ".join(p for p in (self.postal_code, self.district) if p),
            self.city,
        ]
        return "\n".join(p for p in parts if p)


class DealerIban(TimeStampedModel):
    """An IBAN known to belong to a dealer; incoming bank transfers from it are matched to the dealer."""

    class Source(models.TextChoices):
        ERP = "erp", _("ERP")
        STAFF = "staff", _("Entered by staff")
        MATCH = "match", _("Learned from a manual match")

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="ibans")
    iban = models.CharField(_("IBAN"), max_length=34, unique=True, validators=[validate_iban])
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.STAFF)

    class Meta:
        verbose_name = _("dealer IBAN")
        verbose_name_plural = _("dealer IBANs")
        constraints = [
            models.CheckConstraint(
                condition=Q(iban__regex=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$"), name="dealer_iban_compact"
            )
        ]

    def __str__(self) -> str:
        return self.iban

    def clean(self) -> None:
        super().clean()
        self.iban = normalize_iban(self.iban)


class DealerChange(models.Model):
    """Audit of the dealer figures money depends on (credit limit, hold, price list, terms, status) and of the
    dealer's users and addresses (invitations, roles, approval limits, proposed addresses), with ``subject``
    naming the user or address."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff")
        ERP = "erp", _("ERP sync")
        SYSTEM = "system", _("System")
        DEALER = "dealer", _("Dealer user")

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(_("field"), max_length=64)
    subject = models.CharField(
        _("about"),
        max_length=255,
        blank=True,
        db_default="",  # the bulk audit (``dealer_changes_record_sql``) inserts in SQL without it
        help_text=_("Whose or which record of the dealer changed (a user's e-mail, an address); empty: the dealer."),
    )
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.STAFF)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("dealer change")
        verbose_name_plural = _("dealer changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


class DealerDocument(TimeStampedModel):
    """A document the ERP issued to a dealer: delivery note (with tracking), invoice or credit memo.

    The ERP is the master: these rows are written by the sync only. ``order`` links the document to a portal
    order when the ERP carried the portal order number."""

    class Kind(models.TextChoices):
        DELIVERY = "delivery", _("Delivery note")
        INVOICE = "invoice", _("Invoice")
        CREDIT_MEMO = "credit_memo", _("Credit memo")

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="documents")
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=64)
    issued_on = models.DateField(_("date"))
    due_on = models.DateField(_("due date"), null=True, blank=True)
    currency = currency_field(default="TRY")
    net = money_field(_("net"), null=True, blank=True)
    vat = money_field(_("VAT"), null=True, blank=True)
    gross = money_field(_("total"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=64, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=128, blank=True)
    tracking_url = models.URLField(_("tracking link"), max_length=500, blank=True)
    e_invoice_uuid = models.CharField(_("e-invoice id"), max_length=64, blank=True)
    related_number = models.CharField(
        _("related document"), max_length=64, blank=True, help_text=_("For a credit memo: the invoice it corrects.")
    )
    as_of = models.DateTimeField(_("as of"), null=True, blank=True)

    class Meta:
        verbose_name = _("dealer document")
        verbose_name_plural = _("dealer documents")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="dealer_document_unique_number"),
            models.CheckConstraint(
                condition=Q(kind__in=["delivery", "invoice", "credit_memo"]), name="dealer_document_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["dealer", "kind", "issued_on"], name="dealer_document_list_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class DealerDocumentLine(models.Model):
    """One line of a dealer document as the ERP sent it: what was delivered (a delivery note) or charged (an
    invoice, a credit memo). Written by the sync only, replaced whole when the ERP sends the document again.

    ``item_code`` is the ERP's; ``product`` the portal's product when the code is known, ``order_line`` the order's
    line when the ERP carried the link. Amounts are in the document's currency; each may be unknown (None)."""

    document = models.ForeignKey(
        DealerDocument, verbose_name=_("document"), on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveIntegerField(_("line"))
    item_code = models.CharField(_("item code"), max_length=64, blank=True)
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    quantity = quantity_field(_("quantity"))
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    unit_price = money_field(_("unit price"), decimal_places=4, null=True, blank=True)
    discount_percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, null=True, blank=True)
    vat_rate = models.DecimalField(_("VAT rate %"), max_digits=5, decimal_places=2, null=True, blank=True)
    line_net = money_field(_("net amount"), null=True, blank=True)
    line_vat = money_field(_("VAT"), null=True, blank=True)
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="document_lines",
    )

    class Meta:
        verbose_name = _("document line")
        verbose_name_plural = _("document lines")
        ordering = ["document_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["document", "line_no"], name="dealer_document_line_unique_no"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="dealer_document_line_quantity_non_negative"),
            models.CheckConstraint(
                condition=Q(vat_rate__isnull=True) | Q(vat_rate__gte=0, vat_rate__lte=100),
                name="dealer_document_line_vat_rate_percent",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__isnull=True) | Q(discount_percent__gte=0, discount_percent__lte=100),
                name="dealer_document_line_discount_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} #{self.line_no}"


class AccountEntry(models.Model):
    """One movement on a dealer's account as the ERP booked it (cari hesap hareketi): the statement's lines.

    ``amount`` is signed from the company's side: positive raises what the dealer owes (invoice, opening debit),
    negative lowers it (collection, credit memo). Written by the sync only; ``erp_id`` is the ERP's id of the
    movement, unique per connection. ``open_amount`` is the ERP's open-item figure when it keeps one."""

    class Kind(models.TextChoices):
        OPENING = "opening", _("Opening balance")
        INVOICE = "invoice", _("Invoice")
        CREDIT_MEMO = "credit_memo", _("Credit memo")
        COLLECTION = "collection", _("Collection")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Adjustment")

    connection = models.ForeignKey(
        "erpsync.ErpConnection", verbose_name=_("connection"), on_delete=models.PROTECT, related_name="+"
    )
    erp_id = models.CharField(_("ERP id"), max_length=128)
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="account_entries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    posted_on = models.DateField(_("date"))
    due_on = models.DateField(_("due date"), null=True, blank=True)
    document_number = models.CharField(_("document"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    currency = currency_field(default="TRY")
    amount = money_field(_("amount"))
    open_amount = money_field(_("open amount"), null=True, blank=True)
    as_of = models.DateTimeField(_("as of"))

    class Meta:
        verbose_name = _("account movement")
        verbose_name_plural = _("account movements")
        ordering = ["dealer_id", "posted_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "erp_id"], name="account_entry_unique_erp_id"),
            models.CheckConstraint(
                condition=Q(kind__in=["opening", "invoice", "credit_memo", "collection", "refund", "adjustment"]),
                name="account_entry_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["dealer", "posted_on", "id"], name="account_entry_statement_idx")]

    def __str__(self) -> str:
        return f"{self.posted_on} {self.get_kind_display()} {self.document_number} {self.amount}"

    @property
    def debit(self):
        return self.amount if self.amount > 0 else None

    @property
    def credit(self):
        return -self.amount if self.amount < 0 else None
