"""Staff see every notice with its delivery state (attempts, last error, next attempt) and send failed ones again."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from b2bportal.admin_site import ViewOnlyMixin
from notifications.models import Notification, NotificationPreference
from notifications.rendering import title
from notifications.services import notification_resend


@admin.register(Notification)
class NotificationAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "email", "recipient", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "kind", "digest")
    search_fields = ("email", "key", "recipient__email")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    readonly_fields = ("subject",)
    actions = ("send_again",)

    @admin.display(description=_("title"))
    def subject(self, obj) -> str:
        return title(obj)

    @admin.action(description=_("Send the selected failed notifications again"))
    def send_again(self, request, queryset) -> None:
        count = notification_resend(queryset=queryset)
        self.message_user(request, _("%(count)d notifications queued again.") % {"count": count})


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "email")
    list_filter = ("kind", "email")
    search_fields = ("user__email",)
    autocomplete_fields = ("user",)
