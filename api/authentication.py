"""Signing in with an API key: ``Authorization: Bearer b2b_<prefix>_<secret>``. The key acts as its dealer user.
A revoked or expired key, or a wrong secret, is refused alike (401, ``not_authenticated``). A right key whose user
(or their membership) or dealer is deactivated is refused with the reason (403, ``user_deactivated`` or
``dealer_deactivated``, saying whom to contact): the caller holds the key, so naming it tells a stranger nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from api.keys import key_matches, key_prefix
from api.models import ApiKey
from api.problems import Problem
from dealers.access import membership_refusal

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
        if member.dealer_id != api_key.dealer_id:  # the user moved to another dealer: the key is not theirs now
            raise AuthenticationFailed(INVALID)
        refusal = membership_refusal(member)
        if refusal is not None:
            raise Problem(403, refusal.code, refusal.message)
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
