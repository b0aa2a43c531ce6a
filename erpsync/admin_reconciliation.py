"""Reconciliation exports in the admin: accountants (staff) ask for a report, watch it run, download the file.

An export is added with its report, format, period and optional dealer; the file is written in the background
(``erpsync.reconciliation``) and the list shows its progress, refreshing itself while one runs. Files are kept
outside MEDIA_ROOT and served only by the download view here, to staff who may view exports.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from b2bportal.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from erpsync.models import ReconciliationExport
from erpsync.reconciliation import reconciliation_export_again, reconciliation_export_queue

S = ReconciliationExport.Status
ADD_FIELDS = ("report", "format", ("period_from", "period_to"), "dealer")
VIEW_FIELDS = ("report", "format", "period_from", "period_to", "dealer", "requested_by", "status_display",
               "progress", "rows_total", "rows_flagged", "error", "download_link", "created_at", "started_at",
               "finished_at")  # fmt: skip
REFRESH_SECONDS = 5


def stalled(export: ReconciliationExport, now=None) -> bool:
    """A run that has not reported progress for longer than a task may run: its worker is gone."""
    limit = timedelta(seconds=settings.Q_CLUSTER.get("timeout", 600) + 60)
    return export.status == S.RUNNING and export.updated_at < (now or timezone.now()) - limit


class ReconciliationExportForm(forms.ModelForm):
    class Meta:
        model = ReconciliationExport
        fields = ("report", "format", "period_from", "period_to", "dealer")
        help_texts = {
            "report": _("Balances are as of now: the period does not apply to them."),
        }


@admin.register(ReconciliationExport)
class ReconciliationExportAdmin(admin.ModelAdmin):
    form = ReconciliationExportForm
    # The file link comes right after what the export is, so it stays on screen however wide the other columns get.
    list_display = ("created_at", "report", "download_link", "status_display", "progress", "format", "period",
                    "dealer", "requested_by", "rows_flagged")  # fmt: skip
    list_filter = ("status", "report", "format")
    list_select_related = ("dealer", "requested_by")
    autocomplete_fields = ("dealer",)
    date_hierarchy = "created_at"
    actions = ("run_again",)
    change_list_template = "admin/erpsync/reconciliationexport/change_list.html"

    # An export is a record of what was asked and written: added, viewed, downloaded, deleted; never edited.
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        return ADD_FIELDS if obj is None else VIEW_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else VIEW_FIELDS

    def get_changeform_initial_data(self, request):
        today = timezone.localdate()
        return {"period_from": today.replace(day=1), "period_to": today, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.requested_by = request.user
            obj.language = translation.get_language() or ""
        super().save_model(request, obj, form, change)
        if not change:
            reconciliation_export_queue(obj)

    def delete_model(self, request, obj) -> None:
        obj.file.delete(save=False)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for export in queryset.exclude(file=""):
            export.file.delete(save=False)
        super().delete_queryset(request, queryset)

    def changelist_view(self, request, extra_context=None):
        running = ReconciliationExport.objects.filter(status__in=(S.QUEUED, S.RUNNING)).exists()
        context = {"refresh_seconds": REFRESH_SECONDS if running else 0, **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def get_urls(self):
        view = self.admin_site.admin_view(self.download_view)
        return [path("<int:pk>/download/", view, name="erpsync_reconciliationexport_download"), *super().get_urls()]

    def download_view(self, request, pk: int):
        """The file, to staff who may view exports; streamed from the private directory."""
        export = get_object_or_404(ReconciliationExport.objects.select_related("dealer"), pk=pk)
        if not self.has_view_permission(request, export):
            raise PermissionDenied
        if export.status != S.DONE or not export.file:
            raise Http404(_("The file is not ready."))
        try:
            handle = export.file.storage.open(export.file.name, "rb")
        except FileNotFoundError:
            raise Http404(_("The file is gone.")) from None
        content_type = CSV_CONTENT_TYPE if export.format == ReconciliationExport.Format.CSV else XLSX_CONTENT_TYPE
        response = FileResponse(handle, as_attachment=True, filename=export.download_name(), content_type=content_type)
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.display(description=_("period"))
    def period(self, obj: ReconciliationExport) -> str:
        if obj.report == ReconciliationExport.Report.BALANCES:
            return _("as of now")
        return f"{obj.period_from} – {obj.period_to}"

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: ReconciliationExport) -> str:
        if obj.status == S.FAILED:
            return format_html('<span title="{}">{}: {}</span>', obj.error, obj.get_status_display(),
                               Truncator(obj.error).chars(80))  # fmt: skip
        if stalled(obj):
            return _("Stalled: the run stopped reporting progress")
        return obj.get_status_display()

    @admin.display(description=_("progress"))
    def progress(self, obj: ReconciliationExport) -> str:
        if obj.status == S.QUEUED:
            return "—"
        percent = obj.percent_done
        if percent is None:
            return _("counting rows…") if obj.status == S.RUNNING else "—"
        return format_html(
            '<progress value="{}" max="100" style="width: 8em"></progress> {} % ({} / {})',
            percent,
            percent,
            obj.rows_done,
            obj.rows_total,
        )

    @admin.display(description=_("file"))
    def download_link(self, obj: ReconciliationExport) -> str:
        if obj.status != S.DONE or not obj.file:
            return "—"
        url = reverse("admin:erpsync_reconciliationexport_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    @admin.action(description=_("Run the selected failed or stalled exports again"), permissions=("add",))
    def run_again(self, request, queryset) -> None:
        now = timezone.now()
        again = 0
        for export in queryset:
            if export.status == S.FAILED or stalled(export, now):
                again += reconciliation_export_again(export)
            else:
                self.message_user(request, _("%(export)s is not failed or stalled.") % {"export": export},
                                  messages.WARNING)  # fmt: skip
        if again:
            self.message_user(request, _("%(count)s exports queued again.") % {"count": again}, messages.SUCCESS)
