"""Connections to ERPs, the binder table, value maps, cursors, run log, outbox, exception queue and reconciliation
exports."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from b2bportal.models import TimeStampedModel


class Entity(models.TextChoices):
    """What is synced. The same names key ``ExternalRef``, ``SyncCursor``, ``SyncRun`` and ``SyncIssue``."""

    PRODUCT = "product", _("Product")
    PRODUCT_MEDIA = "product_media", _("Product pictures and documents")
    UNIT = "unit", _("Unit")
    CATEGORY = "category", _("Category")
    BRAND = "brand", _("Brand")
    WAREHOUSE = "warehouse", _("Warehouse")
    STOCK = "stock", _("Stock")
    PRICE_LIST = "price_list", _("Price list")
    PRICE = "price", _("Price")
    AGREEMENT = "agreement", _("Dealer agreement")
    CUSTOMER = "customer", _("Customer")
    ADDRESS = "address", _("Address")
    SALES_REP = "sales_rep", _("Sales representative")
    BALANCE = "balance", _("Balance")
    CREDIT = "credit", _("Credit limit and hold")
    ORDER = "order", _("Order")
    QUOTE = "quote", _("Quote")
    ORDER_STATUS = "order_status", _("Order status")
    DELIVERY = "delivery", _("Delivery")
    INVOICE = "invoice", _("Invoice")
    CREDIT_MEMO = "credit_memo", _("Credit memo")
    PAYMENT = "payment", _("Payment")
    LEDGER = "ledger", _("Account movement")
    DRIFT = "drift", _("ERP and portal compared")


class ErpConnection(TimeStampedModel):
    """An integration set: which adapter talks to which ERP, with which settings.

    Secrets are not stored here: ``credentials_ref`` names where the adapter finds them (an environment
    variable prefix or a secret store key)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    adapter = models.CharField(
        _("adapter"), max_length=40, help_text=_("A key of ERPSYNC_ADAPTERS, e.g. file or sap_b1.")
    )
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    credentials_ref = models.CharField(_("credentials reference"), max_length=128, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default"), default=False)
    breaker_failures = models.PositiveIntegerField(
        _("failures in a row"), default=0, help_text=_("Retryable export failures since the ERP last answered.")
    )
    breaker_open_until = models.DateTimeField(
        _("paused until"),
        null=True,
        blank=True,
        help_text=_("The ERP kept failing: exports wait until then, and then one probes whether it is back."),
    )

    class Meta:
        verbose_name = _("ERP connection")
        verbose_name_plural = _("ERP connections")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="erp_connection_one_default"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.adapter})"


class ExternalRef(models.Model):
    """Binds a portal record to its ERP record, one to one per connection and entity."""

    connection = models.ForeignKey(
        ErpConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="refs"
    )
    entity = models.CharField(_("entity"), max_length=32, choices=Entity.choices)
    local_id = models.BigIntegerField(_("portal id"))
    external_id = models.CharField(_("ERP id"), max_length=255)
    external_updated_at = models.DateTimeField(_("updated in the ERP at"), null=True, blank=True)
    payload_hash = models.CharField(_("payload hash"), max_length=64, blank=True)
    synced_at = models.DateTimeField(_("synced at"), auto_now=True)

    class Meta:
        verbose_name = _("external reference")
        verbose_name_plural = _("external references")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "entity", "external_id"], name="external_ref_unique_external"
            ),
            models.UniqueConstraint(fields=["connection", "entity", "local_id"], name="external_ref_unique_local"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.local_id} ↔ {self.external_id}"


class ValueMap(models.Model):
    """Translates an ERP code to the portal's: units, tax codes, warehouses, payment methods, carriers, currencies."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("Unit")
        TAX_CODE = "tax_code", _("Tax code")
        WAREHOUSE = "warehouse", _("Warehouse")
        PAYMENT_METHOD = "payment_method", _("Payment method")
        CARRIER = "carrier", _("Carrier")
        CURRENCY = "currency", _("Currency")

    connection = models.ForeignKey(
        ErpConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="value_maps"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    external_value = models.CharField(_("ERP value"), max_length=128)
    local_value = models.CharField(_("portal value"), max_length=128)

    class Meta:
        verbose_name = _("value map")
        verbose_name_plural = _("value maps")
        ordering = ["connection_id", "kind", "external_value"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind", "external_value"], name="value_map_unique_external")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.external_value} → {self.local_value}"


class SyncCursor(models.Model):
    """How far an import has read: the watermark of the last committed delta."""

    connection = models.ForeignKey(
        ErpConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="cursors"
    )
    entity = models.CharField(_("entity"), max_length=32, choices=Entity.choices)
    watermark = models.DateTimeField(_("watermark"), null=True, blank=True)
    state = models.JSONField(_("state"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sync cursor")
        verbose_name_plural = _("sync cursors")
        constraints = [models.UniqueConstraint(fields=["connection", "entity"], name="sync_cursor_unique")]

    def __str__(self) -> str:
        return f"{self.connection_id}/{self.entity}: {self.watermark}"


class LineDigest(models.Model):
    """The raw digest of one record of the last feed applied for a connection and entity, and the portal row it
    landed on: the next feed skips a record whose raw text hashes the same (``erpsync.importers.digests``).

    ``row_id`` is the record's main row in the importer's table and ``row_xmin`` that row's PostgreSQL
    transaction id when the digest was taken: a row changed or removed since (by staff, another process, a
    restore) no longer matches, and its record is read again. ``stamp`` is a time the importer keeps per record
    (stock: the ERP's *as of*). Deliberately without indexes: it is only ever read and written whole per
    connection and entity, by hash joins."""

    connection = models.ForeignKey(
        ErpConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    entity = models.CharField(_("entity"), max_length=32, choices=Entity.choices)
    key = models.CharField(_("ERP key"), max_length=255)
    digest = models.BigIntegerField(_("digest"))
    row_id = models.BigIntegerField(_("row"))
    row_xmin = models.BigIntegerField(_("row version"))
    stamp = models.DateTimeField(_("stamp"), null=True, blank=True)

    class Meta:
        verbose_name = _("line digest")
        verbose_name_plural = _("line digests")

    def __str__(self) -> str:
        return f"{self.connection_id}/{self.entity}/{self.key}"


class SyncRun(models.Model):
    """One import or export run, with its counts: the record of high-volume syncs."""

    class Direction(models.TextChoices):
        IMPORT = "import", _("ERP → portal")
        EXPORT = "export", _("Portal → ERP")

    class Mode(models.TextChoices):
        FULL = "full", _("Full snapshot")
        DELTA = "delta", _("Changes since the watermark")
        LIVE = "live", _("Live lookup for one record")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Succeeded with issues")
        FAILED = "failed", _("Failed")

    connection = models.ForeignKey(
        ErpConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="runs"
    )
    entity = models.CharField(_("entity"), max_length=32, choices=Entity.choices)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.IMPORT)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.FULL)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    window_from = models.DateTimeField(_("window from"), null=True, blank=True)
    window_to = models.DateTimeField(_("window to"), null=True, blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    deactivated = models.PositiveIntegerField(_("deactivated"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    error = models.TextField(_("error"), blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.connection_id}/{self.entity} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


UNFINISHED_JOB_STATES = ("pending", "running", "retrying", "dead")


class SyncJob(TimeStampedModel):
    """The outbox: one row per change the ERP must hear about, written in the same transaction as the change.

    ``identity_key`` (e.g. ``order:B2B-000123``) is unique among unfinished jobs of a kind and connection,
    so the same change cannot be queued twice while one is still on its way."""

    class Kind(models.TextChoices):
        ORDER_EXPORT = "order_export", _("Export order")
        ORDER_CANCEL = "order_cancel", _("Cancel order")
        PAYMENT_EXPORT = "payment_export", _("Export collection")
        REFUND_EXPORT = "refund_export", _("Export credit memo")
        CUSTOMER_EXPORT = "customer_export", _("Export customer")
        QUOTE_EXPORT = "quote_export", _("Export quote")
        QUOTE_CANCEL = "quote_cancel", _("Cancel quote")
        SHIP_TO_EXPORT = "ship_to_export", _("Export delivery address")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        RETRYING = "retrying", _("Waiting to retry")
        DEAD = "dead", _("Needs a human")
        SUCCEEDED = "succeeded", _("Succeeded")
        CANCELLED = "cancelled", _("Cancelled")

    connection = models.ForeignKey(
        ErpConnection, verbose_name=_("connection"), on_delete=models.PROTECT, related_name="jobs"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    identity_key = models.CharField(_("identity key"), max_length=128)
    object_id = models.BigIntegerField(_("object id"))
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=8)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, db_index=True)
    locked_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    external_id = models.CharField(_("ERP document"), max_length=255, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox job")
        verbose_name_plural = _("outbox jobs")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "identity_key"],
                condition=Q(status__in=UNFINISHED_JOB_STATES),
                name="sync_job_identity_unique_unfinished",
            ),
            models.CheckConstraint(condition=Q(max_attempts__gt=0), name="sync_job_max_attempts_positive"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="sync_job_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.identity_key} ({self.get_status_display()})"


class SyncIssue(TimeStampedModel):
    """The exception queue: a record that could not be imported or exported, with why, whose, and a retry."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RETRYING = "retrying", _("Retrying")
        RESOLVED = "resolved", _("Resolved")
        IGNORED = "ignored", _("Ignored")

    connection = models.ForeignKey(
        ErpConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="issues"
    )
    run = models.ForeignKey(
        SyncRun, verbose_name=_("run"), on_delete=models.SET_NULL, null=True, blank=True, related_name="issues"
    )
    job = models.ForeignKey(
        SyncJob, verbose_name=_("outbox job"), on_delete=models.SET_NULL, null=True, blank=True, related_name="issues"
    )
    entity = models.CharField(_("entity"), max_length=32, choices=Entity.choices)
    external_id = models.CharField(_("ERP id"), max_length=255, blank=True)
    local_id = models.BigIntegerField(_("portal id"), null=True, blank=True)
    code = models.CharField(_("reason code"), max_length=64)
    message = models.TextField(_("message"))
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    occurrences = models.PositiveIntegerField(_("seen"), default=1)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_seen_at = models.DateTimeField(_("last seen"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("sync issue")
        verbose_name_plural = _("sync issues")
        ordering = ["-last_seen_at"]
        constraints = [
            # A record failing again updates its open issue rather than opening another.
            # No portal id counts as one value (COALESCE rather than NULLS NOT DISTINCT, which SQLite lacks).
            models.UniqueConstraint(
                "connection",
                "entity",
                "external_id",
                Coalesce("local_id", Value(0)),
                "code",
                condition=Q(status__in=["open", "retrying"]),
                name="sync_issue_one_open_per_record_and_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.external_id or self.local_id}: {self.code}"


@deconstructible(path="erpsync.models.ExportStorage")
class ExportStorage(FileSystemStorage):
    """Files staff download through the admin only: kept in ``RECONCILIATION_EXPORT_DIR`` (outside MEDIA_ROOT,
    read when used, so a changed setting applies) and given no public URL."""

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(settings.RECONCILIATION_EXPORT_DIR)

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)

    def url(self, name) -> str:
        raise NotImplementedError("Reconciliation exports have no public URL; the admin's download view serves them.")


class ReconciliationExport(models.Model):
    """A spreadsheet for accountants comparing the portal's figures with the ERP's: orders, payments or balances
    over a period, optionally for one dealer. Written in the background; rows that differ carry a flag."""

    class Report(models.TextChoices):
        ORDERS = "orders", _("Orders: portal and ERP documents")
        PAYMENTS = "payments", _("Payments: portal and ERP collections")
        BALANCES = "balances", _("Balances: ERP balance and account movements")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    report = models.CharField(_("report"), max_length=16, choices=Report.choices)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices, default=Format.XLSX)
    period_from = models.DateField(
        pgettext_lazy("period", "from"),
        null=True,
        blank=True,
        help_text=_("Orders by the day they were placed, payments by the day the money arrived."),
    )
    period_to = models.DateField(pgettext_lazy("period", "to"), null=True, blank=True)
    dealer = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("dealer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every dealer."),
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_flagged = models.PositiveIntegerField(_("rows that differ"), default=0)
    error = models.TextField(_("error"), blank=True)
    file = models.FileField(_("file"), storage=ExportStorage(), max_length=255, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation export")
        verbose_name_plural = _("reconciliation exports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_from__isnull=True) | Q(period_to__isnull=True) | Q(period_from__lte=F("period_to")),
                name="reconciliation_export_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(report__in=["orders", "payments", "balances"]), name="reconciliation_export_report_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="reconciliation_export_status_valid",
            ),
        ]

    def __str__(self) -> str:
        period = f" {self.period_from}–{self.period_to}" if self.report != self.Report.BALANCES else ""
        return f"{self.get_report_display()}{period} ({self.get_status_display()})"

    def clean(self) -> None:
        super().clean()
        if self.report in (self.Report.ORDERS, self.Report.PAYMENTS):
            missing = {
                name: _("The orders and payments reports need a period.")
                for name in ("period_from", "period_to")
                if getattr(self, name) is None
            }
            if missing:
                raise ValidationError(missing)
        if self.period_from and self.period_to and self.period_from > self.period_to:
            raise ValidationError({"period_to": _("The period ends before it starts.")})

    @property
    def percent_done(self) -> int | None:
        """How far the run is, 0–100; None before the rows are counted."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return None
        return min(100, self.rows_done * 100 // self.rows_total)

    def download_name(self) -> str:
        """The file name the browser saves: report, period, dealer code."""
        parts = [str(_("reconciliation")), self.report]
        if self.report != self.Report.BALANCES and self.period_from and self.period_to:
            parts += [self.period_from.isoformat(), self.period_to.isoformat()]
        if self.dealer_id:
            parts.append(self.dealer.code)
        name = "-".join(parts)
        return "".join(c if c.isalnum() or c in "-._" else "_" for c in name) + f".{self.format}"


class ApiToken(models.Model):
    """An OAuth token pair an adapter holds for an ERP account (``key``: adapter, company and client), shared by
    every worker and web process. The tokens are stored encrypted (``erpsync.token_store``); ``version`` grows with
    every renewal, so a process that saw an older pair knows someone renewed it meanwhile. ``problem`` says why no
    token can be had without a person (a refresh and a new sign-in both refused)."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    access_token = models.TextField(_("access token (encrypted)"), blank=True)
    refresh_token = models.TextField(_("refresh token (encrypted)"), blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    problem = models.TextField(_("problem"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return self.key


class RateBudget(models.Model):
    """Requests sent to an ERP account in its rate-limit window, shared by every worker and web process: the
    send times (seconds since the epoch) of the last requests under ``key`` (``erpsync.rate_budget``)."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    sent = models.JSONField(pgettext_lazy("rate budget", "sent"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("rate budget")
        verbose_name_plural = _("rate budgets")

    def __str__(self) -> str:
        return self.key


class ApiUsage(models.Model):
    """Calls made to an ERP account on one day (``key``: adapter and account), and the credit they cost where the
    ERP charges per call (DİA's kontör), counted by every worker and web process (``erpsync.api_usage``)."""

    key = models.CharField(_("key"), max_length=200)
    day = models.DateField(_("day"))
    calls = models.PositiveIntegerField(_("calls"), default=0)
    credits = models.DecimalField(_("credits"), max_digits=16, decimal_places=4, default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("API usage")
        verbose_name_plural = _("API usage")
        constraints = [models.UniqueConstraint(fields=["key", "day"], name="erpsync_apiusage_key_day")]

    def __str__(self) -> str:
        return f"{self.key} {self.day}"


class WebhookDelivery(models.Model):
    """An ERP's webhook delivery that passed its signature check, kept once per change it reports (``digest``: a
    hash of the resource, action, record and the record's time of change, as the adapter tells them): a change
    delivered again is recognised by the constraint and imports nothing more."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed")

    connection = models.ForeignKey(
        ErpConnection, verbose_name=_("connection"), on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    digest = models.CharField(_("digest"), max_length=64)
    resource = models.CharField(_("resource"), max_length=40)
    action = models.CharField(_("action"), max_length=20, blank=True)
    record_id = models.CharField(_("record"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["connection", "digest"], name="webhook_delivery_once_per_content")
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.action} {self.record_id}"
