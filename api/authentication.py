"""Signing in with an API key: ``Authorization: Bearer b2b_<prefix>_<secret>``. The key acts as its dealer user;
a revoked or expired key, an inactive user or dealer, or a wrong secret is refused alike (401)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from api.keys import key_matches, key_prefix
from api.models import ApiKey
from dealers.models import Dealer

# last_used_at is written at most this often per key: a busy key would otherwise write on every request.
TOUCH_EVERY = timedelta(minutes=1)
INVALID = _("The API key is not valid, revoked or expired.")


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(INVALID)
        key = parts[1].decode("ascii", errors="replace")
        prefix = key_prefix(key)
        api_key = None
        if prefix is not None:
            api_key = (
                ApiKey.objects.select_related(
                    "dealer_user__user",
                    "dealer_user__dealer__price_list",
                    "dealer_user__dealer__payment_terms",
                    "dealer_user__dealer__sales_rep",
                )
                .filter(prefix=prefix)
                .first()
            )
        if api_key is None or not key_matches(key, api_key.digest) or not api_key.is_usable:
            raise AuthenticationFailed(INVALID)
        member = api_key.dealer_user
        if (
            not member.is_active
            or not member.user.is_active
            or member.dealer_id != api_key.dealer_id
            or member.dealer.status == Dealer.Status.INACTIVE
        ):
            raise AuthenticationFailed(INVALID)
        now = timezone.now()
        if api_key.last_used_at is None or api_key.last_used_at < now - TOUCH_EVERY:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
        # The scoping gate (dealers.access.dealer_user_for) answers from this without another query.
        member.user._dealer_user_cache = member
        return member.user, api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class BrowsableSessionAuthentication(SessionAuthentication):
    """A signed-in dealer user in the browser (the browsable API); CSRF is checked as on every portal form."""
