"""The admin site: the stock Django admin, asking staff for a one-time code when configured."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm


class PortalAdminSite(admin.AdminSite):
    site_header = _("b2bportal administration")
    site_title = _("b2bportal")
    index_title = _("Operations")

    @property
    def login_form(self):  # type: ignore[override]
        return OTPAdminAuthenticationForm if settings.B2B_ADMIN_REQUIRE_2FA else None

    def has_permission(self, request) -> bool:
        """Staff reach the admin; with two-factor required, only after verifying a device."""
        allowed = super().has_permission(request)
        if allowed and settings.B2B_ADMIN_REQUIRE_2FA:
            return request.user.is_verified()
        return allowed


class ViewOnlyMixin:
    """For admins and inlines of records written only by services, imports or the sync: staff see
    every field; nothing is added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def staff_action_log(request, objects, message: str) -> None:
    """Record a staff action (a refund, an outbox job sent again or cancelled, a transfer matched, split or set
    aside, …) in each object's admin history: Django's ``LogEntry`` with the acting user, under the object's concrete
    model, so that the record's own History page lists who did what and when."""
    objects = list(objects)
    if not objects or not getattr(request.user, "pk", None):
        return
    LogEntry.objects.bulk_create(
        LogEntry(
            user_id=request.user.pk,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action_flag=CHANGE,
            change_message=str(message),
        )
        for obj in objects
    )
