"""The admin site: the stock Django admin, asking staff for a one-time code when configured."""

from django.conf import settings
from django.contrib import admin
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
