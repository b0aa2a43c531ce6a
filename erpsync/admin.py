"""Admin for ERP connections, the binder, value maps, cursors, the run log, the outbox and the issue queue.

Runs and outbox jobs are records of what the sync did: read-only. Issues are worked by assigning an owner;
their status and resolution are written by the sync services.
"""

from datetime import timedelta

from django.apps import apps
from django.contrib import admin, messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from b2bportal.admin_site import ViewOnlyMixin, staff_action_log
from b2bportal.staff_imports import StaffExportMixin
from erpsync.adapters import adapter_for
from erpsync.adapters.profile import ProfileAdapter
from erpsync.forms import ErpConnectionForm
from erpsync.health import connection_health, connection_test
from erpsync.issue_actions import MAPPABLE, sync_issue_map, sync_issue_retry
from erpsync.issues import IssueRefused, sync_issue_ignore
from erpsync.models import (
    ApiToken,
    ErpConnection,
    ExternalRef,
    SyncCursor,
    SyncIssue,
    SyncJob,
    SyncRun,
    ValueMap,
    WebhookDelivery,
)
from erpsync.outbox import OutboxRefused, outbox_cancel, outbox_requeue


def _each(model_admin, request, queryset, service, arg: str, done_text, history) -> None:
    """Run a staff service on each selected row; a row it refuses is reported and the others go on. Each row done
    gets ``history`` in its admin history, with the acting user."""
    done = []
    for obj in queryset:
        try:
            service(**{arg: obj}, user=request.user)
            done.append(obj)
        except (IssueRefused, OutboxRefused) as exc:
            model_admin.message_user(request, f"{obj}: {exc}", messages.ERROR)
    staff_action_log(request, done, history)
    done = len(done)
    if done:
        model_admin.message_user(request, done_text % {"count": done}, messages.SUCCESS)


@admin.register(ErpConnection)
class ErpConnectionAdmin(admin.ModelAdmin):
    form = ErpConnectionForm
    list_display = ("code", "name", "adapter", "is_active", "is_default", "health_link")
    list_filter = ("adapter", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("breaker_failures", "breaker_open_until", "created_at", "updated_at")
    actions = ("test_selected", "test_profile_reads")

    def get_urls(self):
        return [
            path("<int:pk>/health/", self.admin_site.admin_view(self.health_view), name="erpsync_erpconnection_health"),
            *super().get_urls(),
        ]

    @admin.display(description=_("health"))
    def health_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:erpsync_erpconnection_health", args=[obj.pk]), _("Sync health")
        )

    def health_view(self, request, pk: int):
        connection = get_object_or_404(ErpConnection, pk=pk)
        if not self.has_view_permission(request, connection):
            return redirect("admin:index")
        health = connection_health(connection)
        peak = health.chart_peak
        bars = [
            {
                **hour,
                "x": i * 12,
                "ok_h": round(40 * hour["succeeded"] / peak),
                "bad_h": round(40 * hour["failed"] / peak),
            }
            for i, hour in enumerate(health.hours)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Sync health: %(name)s") % {"name": connection.name},
            "opts": self.model._meta,
            "original": connection,
            "health": health,
            "bars": bars,
        }
        return TemplateResponse(request, "admin/erpsync/erpconnection/health.html", context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for warning in getattr(form, "warnings", ()):
            self.message_user(request, warning, messages.WARNING)

    @admin.action(description=_("Test the selected connections"))
    def test_selected(self, request, queryset):
        for connection in queryset:
            check = connection_test(connection)
            level = messages.SUCCESS if check.ok else messages.ERROR
            self.message_user(request, f"{connection.code}: {check.message}", level)

    @admin.action(description=_("Test the profile's reads"))
    def test_profile_reads(self, request, queryset):
        """Each read of a profile connection (Nebim, ETA) run once: its columns, first row and the column check."""
        for connection in queryset:
            try:
                adapter = adapter_for(connection)
            except Exception as exc:  # a broken profile is what the operator is here to see
                self.message_user(request, f"{connection.code}: {exc}", messages.ERROR)
                continue
            with adapter:
                if not isinstance(adapter, ProfileAdapter):
                    self.message_user(
                        request, _("%(code)s has no profile.") % {"code": connection.code}, messages.WARNING
                    )
                    continue
                for test in adapter.test_reads():
                    first = test.rows[0] if test.rows else _("no rows")
                    text = f"{connection.code} · {test.read}: {', '.join(test.columns)} · {first}"
                    if test.problems:
                        self.message_user(request, f"{text} · {'; '.join(test.problems)}", messages.ERROR)
                    else:
                        self.message_user(request, text, messages.SUCCESS)


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
    """The outbox, read-only: a hand edit or delete could send a change twice or lose it. Staff send a waiting
    job again or cancel it through the services, which keep the record."""

    actions = ("requeue_selected", "cancel_selected")

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

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("erpsync.change_syncjob"):
            actions.pop("requeue_selected", None)
            actions.pop("cancel_selected", None)
        return actions

    @admin.action(description=_("Send the selected jobs again"))
    def requeue_selected(self, request, queryset):
        _each(self, request, queryset, outbox_requeue, "job", _("%(count)s jobs queued again."),
              _("Sent again by staff."))  # fmt: skip

    @admin.action(description=_("Cancel the selected jobs"))
    def cancel_selected(self, request, queryset):
        _each(self, request, queryset, outbox_cancel, "job", _("%(count)s jobs cancelled."),
              _("Cancelled by staff."))  # fmt: skip


@admin.register(SyncIssue)
class SyncIssueAdmin(StaffExportMixin, admin.ModelAdmin):
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
        "map_link",
    )
    list_filter = ("status", "entity", "code", "connection")
    search_fields = ("external_id", "message")
    list_select_related = ("connection", "owner")
    date_hierarchy = "last_seen_at"
    autocomplete_fields = ("owner",)
    actions = ("retry_selected", "ignore_selected")
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

    def get_urls(self):
        return [
            path("<int:pk>/map/", self.admin_site.admin_view(self.map_view), name="erpsync_syncissue_map"),
            *super().get_urls(),
        ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("erpsync.change_syncissue"):
            actions.pop("retry_selected", None)
            actions.pop("ignore_selected", None)
        return actions

    @admin.action(description=_("Retry the selected issues"))
    def retry_selected(self, request, queryset):
        _each(self, request, queryset, sync_issue_retry, "issue", _("%(count)s issues retrying."),
              _("Retried by staff."))  # fmt: skip

    @admin.action(description=_("Ignore the selected issues"))
    def ignore_selected(self, request, queryset):
        _each(self, request, queryset, sync_issue_ignore, "issue", _("%(count)s issues ignored."),
              _("Ignored by staff."))  # fmt: skip

    def map_view(self, request, pk: int):
        """Bind the issue's ERP record to a portal record found by code or name."""
        issue = get_object_or_404(SyncIssue, pk=pk)
        if not self.has_change_permission(request, issue) or issue.entity not in MAPPABLE:
            return redirect("admin:erpsync_syncissue_change", pk)
        app_label, model_name, fields = MAPPABLE[issue.entity]
        model = apps.get_model(app_label, model_name)
        if request.method == "POST":
            try:
                local_id = int(request.POST.get("local_id", 0))
                sync_issue_map(issue=issue, local_id=local_id, user=request.user)
            except (IssueRefused, ValueError) as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                staff_action_log(request, [issue], _("Mapped to portal record %(id)s.") % {"id": local_id})
                self.message_user(request, _("Mapped; the record is imported again."), messages.SUCCESS)
                return redirect("admin:erpsync_syncissue_changelist")
        term = request.GET.get("q", "").strip() or issue.external_id
        condition = Q()
        for name in fields:
            condition |= Q(**{f"{name}__icontains": term})
        candidates = model.objects.filter(condition).order_by("pk")[:25] if term else []
        context = {
            **self.admin_site.each_context(request),
            "title": _("Map %(key)s to a portal record") % {"key": issue.external_id},
            "opts": self.model._meta,
            "original": issue,
            "issue": issue,
            "term": term,
            "candidates": candidates,
        }
        return TemplateResponse(request, "admin/erpsync/syncissue/map.html", context)

    @admin.display(description=_("map"))
    def map_link(self, obj: SyncIssue):
        if obj.entity not in MAPPABLE or obj.status not in ("open", "retrying"):
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:erpsync_syncissue_map", args=[obj.pk]), _("Map…"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A failure that is dealt with is resolved or ignored, so it stays visible in the record.
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Webhook deliveries an ERP sent, once per change, and whether their import went through (a failed one has its
    run and issue in the sync log)."""

    list_display = ("received_at", "connection", "resource", "action", "record_id", "status")
    list_filter = ("status", "resource", "connection")
    search_fields = ("record_id",)


@admin.register(ApiToken)
class ApiTokenAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The ERP accounts' tokens: when they expire and why none can be had without a person. The tokens themselves
    are never shown."""

    list_display = ("key", "expires_at", "version", "problem", "updated_at")
    fields = ("key", "expires_at", "version", "problem", "updated_at")
