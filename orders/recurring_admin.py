"""Admin for recurring orders: staff see each schedule, its next date and its runs (the order placed, or why the
date was skipped). Read-only: schedules are the dealer users' own (their pages), runs are made only by
``orders.services.recurring``."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from b2bportal.admin_site import ViewOnlyMixin
from orders.models import RecurringOrder, RecurringRun
from orders.reasons import reasons_text
from orders.recurring import next_run_on


class RecurringRunInline(ViewOnlyMixin, admin.TabularInline):
    model = RecurringRun
    extra = 0
    can_delete = False
    fields = ("run_on", "outcome", "order", "reasons_shown", "created_at")
    readonly_fields = fields
    ordering = ("-run_on",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "recurring__dealer")

    @admin.display(description=_("reasons"))
    def reasons_shown(self, run):
        return reasons_text(run.reasons, run.recurring.dealer.currency) or "—"


@admin.register(RecurringOrder)
class RecurringOrderAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("saved_list", "dealer", "owner", "frequency", "interval_weeks", "day_of_month", "is_active", "next")
    list_filter = ("is_active", "frequency")
    search_fields = ("saved_list__name", "dealer__code", "dealer__title", "owner__email")
    list_select_related = ("saved_list", "dealer", "owner")
    inlines = (RecurringRunInline,)

    @admin.display(description=_("next date"))
    def next(self, recurring):
        return next_run_on(recurring, timezone.localdate()) or "—"


@admin.register(RecurringRun)
class RecurringRunAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("run_on", "recurring", "outcome", "order", "reasons_shown")
    list_filter = ("outcome", "run_on")
    search_fields = ("recurring__saved_list__name", "recurring__dealer__code", "order__number")
    list_select_related = ("recurring__saved_list", "recurring__dealer", "order")
    date_hierarchy = "run_on"

    @admin.display(description=_("reasons"))
    def reasons_shown(self, run):
        return reasons_text(run.reasons, run.recurring.dealer.currency) or "—"
