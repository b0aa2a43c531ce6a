"""Card payments, payment links, bank statements and their transactions, and allocations of money.

The portal never stores a card number: a card payment is only the provider's reference and its outcome.
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from b2bportal.models import TimeStampedModel, currency_field, money_field
from payments.statements.profiles import ProfileError, profile_from_settings


class Payment(TimeStampedModel):
    class Method(models.TextChoices):
        CARD = "card", _("Card")
        LINK = "link", _("Payment link")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    class Status(models.TextChoices):
        INITIATED = "initiated", _("Initiated")
        PENDING = "pending", _("Waiting for the provider")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")

    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="payments"
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    gateway = models.CharField(_("gateway"), max_length=32, blank=True)
    provider_payment_id = models.CharField(_("provider payment id"), max_length=128, null=True, blank=True)
    amount = money_field(_("amount"))
    currency = currency_field(default="TRY")
    refunded_amount = money_field(_("refunded"), default=Decimal("0"))
    commission = money_field(_("provider commission"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.INITIATED)
    failure_reason = models.CharField(_("failure reason"), max_length=255, blank=True)
    invoice_numbers = models.JSONField(_("invoices paid"), default=list, blank=True)
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("initiated by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    for_link = models.ForeignKey(
        "PaymentLink",
        verbose_name=_("payment link"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attempts",
        help_text=_("The link this payment was started from."),
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            # A provider's callback is applied once per provider payment id, however often it arrives.
            models.UniqueConstraint(
                fields=["gateway", "provider_payment_id"],
                condition=Q(provider_payment_id__isnull=False),
                name="payment_provider_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} {self.currency} ({self.get_status_display()})"


class Refund(TimeStampedModel):
    """A card refund, recorded before the provider is asked and settled after it answers.

    ``requested``: committed before the provider call; ``succeeded`` or ``failed``: the provider's answer, settled
    in a short transaction of its own; ``unknown``: the provider did not answer (a timeout, a lost connection), so
    the money may have left. Requested and unknown refunds are asked about again by ``refund_check_pending`` with the
    same ``reference``, which is the idempotency reference the provider received: a refund is never sent again under
    a new one."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Waiting for the provider's answer")

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds")
    reference = models.UUIDField(
        _("reference"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Sent to the provider with the refund; the same on every retry."),
    )
    amount = money_field(_("amount"))
    currency = currency_field(default="TRY")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    provider_refund_id = models.CharField(_("provider refund id"), max_length=128, blank=True)
    error = models.CharField(_("error"), max_length=255, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    attempts = models.PositiveSmallIntegerField(_("provider calls"), default=0)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]
        indexes = [models.Index(fields=["status", "updated_at"], name="refund_status_updated")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"


class PaymentLink(TimeStampedModel):
    """A signed, expiring, single-use link a dealer pays without signing in."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        USED = "used", _("Paid")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="payment_links"
    )
    amount = money_field(_("amount"))
    currency = currency_field(default="TRY")
    description = models.CharField(_("description"), max_length=255, blank=True)
    invoice_numbers = models.JSONField(_("invoices"), default=list, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True, related_name="link"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    used_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_link_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="used") | Q(payment__isnull=False), name="payment_link_used_has_payment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id}: {self.amount} {self.currency} ({self.get_status_display()})"


class BankStatement(TimeStampedModel):
    class Format(models.TextChoices):
        MT940 = "mt940", "MT940"
        CAMT053 = "camt053", "CAMT.053"
        CSV = "csv", "CSV"

    account_iban = models.CharField(_("account IBAN"), max_length=34)
    statement_id = models.CharField(_("statement id"), max_length=128, blank=True)
    format = models.CharField(_("format"), max_length=16, choices=Format.choices)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("file checksum"), max_length=64, unique=True)
    period_start = models.DateField(pgettext_lazy("period", "from"), null=True, blank=True)
    period_end = models.DateField(pgettext_lazy("period", "to"), null=True, blank=True)
    opening_balance = money_field(_("opening balance"), null=True, blank=True)
    closing_balance = money_field(_("closing balance"), null=True, blank=True)
    currency = currency_field(default="TRY")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    warnings = models.JSONField(
        _("continuity warnings"),
        default=list,
        blank=True,
        help_text=_("Where the statement does not join the one before or after it: lines may be missing."),
    )

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.account_iban} {self.period_start}–{self.period_end}"


@deconstructible(path="payments.models.StatementUploadStorage")
class StatementUploadStorage(FileSystemStorage):
    """Statement files waiting for their import: kept in ``BANK_STATEMENT_UPLOAD_DIR`` (outside MEDIA_ROOT, read
    when used, so a changed setting applies) and given no URL."""

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(settings.BANK_STATEMENT_UPLOAD_DIR)

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)

    def url(self, name) -> str:
        raise NotImplementedError("Uploaded statement files have no URL.")


class StatementImport(models.Model):
    """A statement file uploaded in the admin and imported by the task worker: what was asked, how far the import
    got, and how it ended (the summary, or the error a person can act on). The file is kept on disk until the
    import ends."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), storage=StatementUploadStorage(), max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    format = models.CharField(_("format"), max_length=16, choices=BankStatement.Format.choices)
    profile = models.CharField(_("CSV profile"), max_length=64, blank=True)
    account_iban = models.CharField(_("account IBAN"), max_length=42, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("lines in the file"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("lines read"), default=0)
    summary = models.TextField(_("result"), blank=True)
    error = models.TextField(_("error"), blank=True)
    statement = models.ForeignKey(
        BankStatement,
        verbose_name=_("bank statement"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement import")
        verbose_name_plural = _("statement imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]), name="statement_import_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def percent_done(self) -> int | None:
        if not self.rows_total:
            return None
        return min(100, round(100 * self.rows_done / self.rows_total))


class BankCsvProfile(TimeStampedModel):
    """How one bank's CSV statement export is written: encoding, separators, date format and which header names
    mean the date, the amount and so on. Chosen by name when a CSV statement is imported; one with the name of a
    profile shipped with the portal takes its place."""

    name = models.SlugField(_("name"), max_length=64, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    settings = models.JSONField(
        _("settings"),
        default=dict,
        help_text=_(
            "A JSON object: encoding, delimiter, decimal_separator, thousands_separator, date_format, currency, "
            "account_iban, skip_rows_without_date, debit_markers and columns (booking_date, amount or debit and "
            "credit, description, …). See the bank statements guide."
        ),
    )

    class Meta:
        verbose_name = _("bank CSV profile")
        verbose_name_plural = _("bank CSV profiles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            profile_from_settings(self.name, self.settings)
        except ProfileError as exc:
            raise ValidationError({"settings": exc.problems}) from None


class BankTransaction(TimeStampedModel):
    class Status(models.TextChoices):
        UNMATCHED = "unmatched", _("Unmatched")
        PARTIALLY_ALLOCATED = "partial", _("Partially allocated")
        ALLOCATED = "allocated", _("Allocated")
        IGNORED = "ignored", _("Ignored")

    statement = models.ForeignKey(
        BankStatement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="transactions"
    )
    account_iban = models.CharField(_("account IBAN"), max_length=34)
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    amount = money_field(_("amount"), help_text=_("Positive: money in; negative: money out."))
    currency = currency_field(default="TRY")
    counterparty_name = models.CharField(_("counterparty"), max_length=255, blank=True)
    counterparty_iban = models.CharField(_("counterparty IBAN"), max_length=34, blank=True, db_index=True)
    description = models.TextField(_("description"), blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=128, blank=True)
    fingerprint = models.CharField(
        _("fingerprint"),
        max_length=64,
        unique=True,
        help_text=_("Identifies the transaction across overlapping statements."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UNMATCHED)
    status_reason = models.CharField(_("reason"), max_length=255, blank=True)
    candidates = models.JSONField(
        _("match candidates"), default=list, blank=True, help_text=_("Dealers it may come from, best first.")
    )

    class Meta:
        verbose_name = _("bank transaction")
        verbose_name_plural = _("bank transactions")
        ordering = ["-booking_date", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="bank_transaction_amount_non_zero")]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.currency} {self.counterparty_name}"


class Allocation(TimeStampedModel):
    """Money assigned to a dealer's account, an order or an invoice: from a bank transfer or a payment."""

    class Method(models.TextChoices):
        AUTOMATIC = "auto", _("Automatic")
        MANUAL = "manual", _("Manual")

    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="allocations"
    )
    bank_transaction = models.ForeignKey(
        BankTransaction,
        verbose_name=_("bank transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
    )
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
    )
    invoice_number = models.CharField(_("invoice number"), max_length=64, blank=True)
    amount = money_field(_("amount"))
    currency = currency_field(default="TRY")
    method = models.CharField(_("method"), max_length=8, choices=Method.choices, default=Method.MANUAL)
    score = models.PositiveSmallIntegerField(_("match score"), null=True, blank=True)
    reasons = models.JSONField(_("match reasons"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("allocated by"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=Q(bank_transaction__isnull=False) | Q(payment__isnull=False),
                name="allocation_has_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} → {self.dealer_id}"


class SandboxCharge(models.Model):
    """The built-in sandbox provider's own record of a charge (what a real provider keeps on its side). Only the
    sandbox gateway reads and writes it; it never holds card data: the sandbox's hosted page offers test cards by
    name, not by number."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        PENDING = "pending", _("Waiting for the bank")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    charge_id = models.CharField(_("charge id"), max_length=40, unique=True)
    reference = models.CharField(_("merchant reference"), max_length=64, db_index=True)
    amount = money_field(_("amount"))
    currency = currency_field(default="TRY")
    description = models.CharField(_("description"), max_length=255, blank=True)
    return_url = models.URLField(_("return URL"), max_length=500)
    card = models.CharField(_("test card"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CREATED)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    refunded = money_field(_("refunded"), default=Decimal("0"))
    refunds = models.JSONField(
        _("refunds"), default=list, blank=True, help_text=_("Each refund: its reference, id and amount.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sandbox charge")
        verbose_name_plural = _("sandbox charges")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_charge_amount_positive")]

    def __str__(self) -> str:
        return self.charge_id


class UnmatchedTransferManager(models.Manager):
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(
                amount__gt=0,
                status__in=[BankTransaction.Status.UNMATCHED, BankTransaction.Status.PARTIALLY_ALLOCATED],
            )
        )


class UnmatchedTransfer(BankTransaction):
    """Incoming transfers the matcher could not allocate alone — the bank matching queue in the admin."""

    objects = UnmatchedTransferManager()

    class Meta:
        proxy = True
        verbose_name = _("transfer to match")
        verbose_name_plural = _("bank matching queue")
