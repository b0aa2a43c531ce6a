"""Who may call what: every request goes through the scoping gate (``dealers.access.dealer_user_for``), an API key
within its scopes, and the account only for users who see it on the portal too."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from api.models import ApiKey, Scope
from api.problems import Problem
from dealers.access import dealer_user_for


class DealerScoped(BasePermission):
    """Sets ``request.dealer_user``; refuses a user without an active dealer, a key without the view's scope
    (``required_scope``, or per method ``required_scopes``), and the account to a user who does not see it."""

    def has_permission(self, request, view) -> bool:
        member = dealer_user_for(request.user)
        if member is None:
            raise Problem(403, "no_dealer", _("This account is not linked to an active dealer."))
        request.dealer_user = member
        scope = getattr(view, "required_scopes", {}).get(request.method, getattr(view, "required_scope", Scope.READ))
        if isinstance(request.auth, ApiKey) and scope not in request.auth.scopes:
            raise Problem(403, "scope_missing", _("This API key lacks the scope “%(scope)s”.") % {"scope": scope})
        if scope == Scope.ACCOUNT and not member.can_see_account:
            raise Problem(403, "account_not_visible", _("This user does not see the dealer's account."))
        return True
