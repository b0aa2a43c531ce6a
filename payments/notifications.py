"""The notifications payments send: its kinds (templates in ``payments/templates/payments/notifications/``).

- payment received: every collection the portal records (a settled card payment, a matched bank transfer) reaches
  the ``collections_recorded`` hook; ``collections_notify`` is connected to it as well, so each collection notifies
  the dealer's users who see the account and the buyer of the order it pays, in the same transaction. Optional.
- payment link: the link e-mailed to the dealer's company address, in the language of the dealer user with that
  address (else the dealer admin's, else the portal's). Mandatory: the e-mail is how the link reaches the dealer.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, DealerUser
from notifications.kinds import Kind, register
from notifications.services import IN_BATCH, Address, Event, notify, notify_many
from orders.models import Order
from payments.models import PaymentLink

METHOD_LABELS = {"card": _("card"), "transfer": _("bank transfer")}


def _received_context(params: dict) -> dict:
    received_on = params.get("received_on")
    return {
        **params,
        "amount": Decimal(params.get("amount") or 0),
        "received_on": date.fromisoformat(received_on) if received_on else None,
        "method_label": METHOD_LABELS.get(params.get("method"), params.get("method", "")),
        "dealer": Dealer.objects.filter(pk=params.get("dealer_id")).first(),
    }


def _link_context(params: dict) -> dict:
    return {**params, "link": PaymentLink.objects.select_related("dealer").filter(pk=params.get("link_id")).first()}


PAYMENT_RECEIVED = register(
    Kind(
        key="payment_received",
        label=_("A payment was received"),
        template="payments/notifications/payment_received",
        context=_received_context,
    )
)
PAYMENT_LINK = register(
    Kind(
        key="payment_link",
        label=_("Payment link"),
        template="payments/notifications/payment_link",
        mandatory=True,
        description=_("Sent to the company's e-mail address when staff create a payment link."),
        context=_link_context,
    )
)


def _account_readers(collections) -> dict[tuple[int, str], list]:
    """Per (dealer, order number) of ``collections``: the dealer's active users who see the account (approvers,
    admins, and buyers allowed to), then the buyer who placed that order. Read in a few queries, whatever the
    number of collections."""
    dealer_ids = sorted({payload["dealer_id"] for _key, _id, payload in collections})
    numbers = sorted({payload.get("order_number") or "" for _key, _id, payload in collections} - {""})
    readers: dict[int, list] = {}
    buyers: dict[tuple[int, str], object] = {}
    for start in range(0, len(dealer_ids), IN_BATCH):
        users = (
            DealerUser.objects.filter(dealer_id__in=dealer_ids[start : start + IN_BATCH], is_active=True)
            .filter(Q(role__in=(DealerUser.Role.APPROVER, DealerUser.Role.ADMIN)) | Q(sees_account=True))
            .select_related("user")
            .order_by("pk")
        )
        for dealer_user in users:
            readers.setdefault(dealer_user.dealer_id, []).append(dealer_user.user)
    for start in range(0, len(numbers), IN_BATCH):
        orders = Order.objects.filter(number__in=numbers[start : start + IN_BATCH], placed_by__isnull=False)
        for order in orders.select_related("placed_by"):
            buyers[(order.dealer_id, order.number)] = order.placed_by
    recipients = {}
    for _key, _id, payload in collections:
        dealer_id, number = payload["dealer_id"], payload.get("order_number") or ""
        buyer = buyers.get((dealer_id, number)) if number else None
        recipients[(dealer_id, number)] = [*readers.get(dealer_id, []), *([buyer] if buyer is not None else [])]
    return recipients


def collections_notify(*, collections, fresh: bool = False) -> int:
    """``collections_recorded`` handler: one notice per collection to its dealer's account readers and the buyer of
    the order it pays. The collection's identity key is the event, so a collection recorded again notifies no one
    again. A statement's thousands of collections are notified in a few queries. Returns how many collections were
    notified."""
    collections = list(collections)
    recipients = _account_readers(collections)
    url = reverse("account:summary")
    notify_many(
        PAYMENT_RECEIVED.key,
        [
            Event(
                event=identity_key,
                recipients=recipients[(payload["dealer_id"], payload.get("order_number") or "")],
                params={
                    key: payload.get(key)
                    for key in ("dealer_id", "amount", "currency", "received_on", "method", "order_number")
                }
                | {"invoice_numbers": list(payload.get("invoice_numbers") or [])},
                url=url,
            )
            for identity_key, _object_id, payload in collections
        ],
    )
    return len(collections)


def dealer_language(dealer: Dealer) -> str:
    """The language to write to a dealer's company address in: the dealer user who has that address, else the
    dealer admin who chose a language, else the portal's."""
    users = DealerUser.objects.filter(dealer=dealer, is_active=True).select_related("user").exclude(user__language="")
    own = users.filter(user__email__iexact=dealer.email).first() if dealer.email else None
    chosen = own or users.filter(role=DealerUser.Role.ADMIN).order_by("pk").first()
    return chosen.user.language if chosen else settings.LANGUAGE_CODE


def payment_link_notify(*, link: PaymentLink, path: str, again: bool = False) -> bool:
    """Queue the link's e-mail to the dealer's address (sent when the transaction commits, retried while the mail
    server is down). The first e-mail of a link is sent once however often this runs; ``again`` (staff asked for
    it) sends another. Returns False when the dealer has no e-mail address."""
    if not link.dealer.email:
        return False
    event = f"{link.pk}:again:{uuid.uuid4().hex}" if again else str(link.pk)
    notify(
        PAYMENT_LINK.key,
        event=event,
        recipients=[Address(email=link.dealer.email, language=dealer_language(link.dealer))],
        params={"link_id": link.pk},
        url=path,
    )
    return True
