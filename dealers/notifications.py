"""The notifications dealers send (templates in ``dealers/templates/dealers/notifications/``): the invitation of a
new dealer user, and staff's decision on a delivery address a dealer admin proposed (to that admin). The
invitation's link is made when the e-mail is written, from the invitation's id: the token is never stored with the
notice."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealers.models import DealerAddress, DealerInvitation
from dealers.tokens import invitation_tokens, invitation_uid
from notifications.kinds import Kind, register

INVITATION_KIND = "dealer_invitation"
ADDRESS_DECIDED_KIND = "address_decided"


def _invitation_context(params: dict) -> dict:
    invitation = (
        DealerInvitation.objects.select_related("dealer_user__user", "dealer_user__dealer", "invited_by")
        .filter(pk=params.get("invitation_id"))
        .first()
    )
    if invitation is None:
        return {**params, "invitation": None, "invitation_url": ""}
    path = reverse(
        "dealers:invitation_accept", args=[invitation_uid(invitation), invitation_tokens.make_token(invitation)]
    )
    return {
        **params,
        "invitation": invitation,
        "dealer": invitation.dealer_user.dealer,
        "invitation_url": f"{settings.B2B_SITE_URL.rstrip('/')}{path}",
    }


INVITATION = register(
    Kind(
        key=INVITATION_KIND,
        label=_("An invitation to the portal"),
        template="dealers/notifications/dealer_invitation",
        mandatory=True,
        context=_invitation_context,
    )
)


def _address_context(params: dict) -> dict:
    address = DealerAddress.objects.select_related("dealer").filter(pk=params.get("address_id")).first()
    return {**params, "address": address}


ADDRESS_DECIDED = register(
    Kind(
        key=ADDRESS_DECIDED_KIND,
        label=_("A delivery address I proposed was approved or refused"),
        template="dealers/notifications/address_decided",
        context=_address_context,
    )
)
