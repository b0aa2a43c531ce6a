"""Whether a user whose password is right may use the portal: one answer for sign-in and for every request of a
signed-in session (``DeactivatedSignOutMiddleware``).

A deactivated user (``User.is_active``), or one whose dealer membership or dealer is deactivated (answered by
``dealers`` through the ``access_refused`` hook), is refused with a text that says so and whom to contact. It is
only ever shown after the right password, or to the session that had signed in with it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.hooks import access_refused
from b2bportal.company import company_contact


def access_refusal(user) -> str | None:
    """The text refusing ``user`` the portal, or None when they may use it."""
    refusal = access_refused.first(user=user)
    if refusal:
        return str(refusal)
    if not user.is_active:
        return _("Your account has been deactivated. Please contact %(contact)s.") % {"contact": company_contact()}
    return None
