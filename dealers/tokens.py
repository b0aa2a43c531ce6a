"""The one-time link of a dealer user invitation, made with Django's password-reset token machinery.

The token is an HMAC (``SECRET_KEY``, with its fallbacks) over the invitation's state: its id, how often it was
sent, when it expires, whether it was accepted, and the invited user's password hash and active flags. So a link
stops working once it was used (the password and ``accepted_at`` change), when it is sent again (``sent_count`` and
``expires_at`` move), and when the user or the membership is deactivated. Expiry itself is the invitation's
``expires_at`` (``B2B_INVITATION_DAYS``), checked by ``dealers.services.dealer_invitation_for_link``, not
``PASSWORD_RESET_TIMEOUT``.
"""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from dealers.models import DealerInvitation


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "dealers.tokens.InvitationTokenGenerator"

    def _make_hash_value(self, invitation: DealerInvitation, timestamp: int) -> str:
        membership = invitation.dealer_user
        user = membership.user
        accepted = "" if invitation.accepted_at is None else invitation.accepted_at.replace(microsecond=0, tzinfo=None)
        return (
            f"{invitation.pk}|{membership.pk}|{invitation.sent_count}|{invitation.expires_at.timestamp():.0f}|{accepted}|"
            f"{user.pk}|{user.password}|{user.is_active}|{membership.is_active}|{timestamp}"
        )

    def check_token(self, invitation: DealerInvitation, token: str) -> bool:
        """Whether ``token`` was made for the invitation in its current state (any age: see the module)."""
        if not (invitation and token):
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(invitation, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invitation_tokens = InvitationTokenGenerator()


def invitation_uid(invitation: DealerInvitation) -> str:
    return urlsafe_base64_encode(force_bytes(invitation.pk))


def invitation_pk(uidb64: str) -> int | None:
    try:
        return int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
