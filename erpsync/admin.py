"""Admin for ERP connections, the binder, value maps, cursors, the run log, the outbox and the issue queue.

Runs and outbox jobs are records of what the sync did: read-only. Issues are worked by assigning an owner;
their status and resolution are written by the sync services.
"""

from datetime import timedelta

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from b2bportal.admin_site import ViewOnlyMixin
from erpsync.models import ErpConnection, ExternalRef, SyncCursor, SyncIssue, SyncJob, SyncRun, ValueMap


@admin.register(ErpConnection)
class ErpConnectionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "adapter", "is_active", "is_default")
    list_filter = ("adapter", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(ExternalRef)
class ExternalRefAdmin(admin.ModelAdmin):
    list_display = ("entity", "local_id", "external_id", "connection", "external_updated_at", "synced_at")
    list_filter = ("connection", "entity")
    search_fields = ("external_id",)
    list_select_related = ("connection",)
    readonly_fields = ("external_updated_at", "payload_hash", "synced_at")
    show_full_result_count = False


@admin.register(ValueMap)
class ValueMapAdmin(admin.ModelAdmin):
    list_display = ("kind", "external_value", "local_value", "connection")
    list_editable = ("local_value",)
    list_filter = ("connection", "kind")
    search_fields = ("external_value", "local_value")
    list_select_related = ("connection",)


@admin.register(SyncCursor)
class SyncCursorAdmin(admin.ModelAdmin):
    list_display = ("connection", "entity", "watermark", "updated_at")
    list_filter = ("connection", "entity")
    list_select_related = ("connection",)
    readonly_fields = ("updated_at",)


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "connection",
        "entity",
        "direction",
        "mode",
        "dry_run",
        "status",
        "created",
        "updated",
        "unchanged",
        "deactivated",
        "failed",
        "duration",
    )
    list_filter = ("status", "direction", "mode", "dry_run", "entity", "connection")
    list_select_related = ("connection",)
    date_hierarchy = "started_at"

    @admin.display(description=_("duration"))
    def duration(self, obj: SyncRun) -> str:
        if obj.finished_at is None:
            return ""
        return str(timedelta(seconds=round((obj.finished_at - obj.started_at).total_seconds())))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SyncJob)
class SyncJobAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The outbox, read-only: a hand edit or delete could send a change twice or lose it."""

    list_display = (
        "created_at",
        "kind",
        "identity_key",
        "connection",
        "status",
        "attempts",
        "next_attempt_at",
        "external_id",
        "finished_at",
    )
    list_filter = ("status", "kind", "connection")
    search_fields = ("identity_key", "external_id")
    list_select_related = ("connection",)
    date_hierarchy = "created_at"


@admin.register(SyncIssue)
class SyncIssueAdmin(admin.ModelAdmin):
    list_display = (
        "last_seen_at",
        "entity",
        "external_id",
        "local_id",
        "code",
        "short_message",
        "status",
        "occurrences",
        "owner",
        "connection",
    )
    list_filter = ("status", "entity", "code", "connection")
    search_fields = ("external_id", "message")
    list_select_related = ("connection", "owner")
    date_hierarchy = "last_seen_at"
    autocomplete_fields = ("owner",)
    # Staff take an issue by setting its owner; everything else is the sync's record.
    readonly_fields = (
        "connection",
        "run",
        "job",
        "entity",
        "external_id",
        "local_id",
        "code",
        "message",
        "payload",
        "status",
        "occurrences",
        "last_seen_at",
        "resolved_at",
        "resolved_by",
        "created_at",
        "updated_at",
    )

    @admin.display(description=SyncIssue._meta.get_field("message").verbose_name)
    def short_message(self, obj: SyncIssue) -> str:
        return Truncator(obj.message).chars(80)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A failure that is dealt with is resolved or ignored, so it stays visible in the record.
        return False
