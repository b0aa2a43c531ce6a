"""The notifications quotes send (templates in ``orders/templates/orders/notifications/quote_*``).

- sent → the dealer user who asked for the quote;
- accepted, declined, revision requested → the staff member who sent the version, or, when nobody did or they
  left, staff who may price quotes (``orders.price_quote``).

Called by the quote services inside their transactions; e-mails go on commit.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications.kinds import STAFF, Kind, register
from notifications.services import notify, staff_with_permission
from orders.models import Quote, QuoteEvent

PRICE_PERMISSION = "orders.price_quote"


def _quote_context(params: dict) -> dict:
    quote = Quote.objects.select_related("dealer", "requested_by").filter(pk=params.get("quote_id")).first()
    return {**params, "quote": quote}


def _kind(key: str, label, **extra) -> Kind:
    return register(Kind(key=key, label=label, template=f"orders/notifications/{key}", context=_quote_context, **extra))


QUOTE_SENT = _kind("quote_sent", _("A quote I asked for was sent to me"))
QUOTE_ACCEPTED = _kind("quote_accepted", _("A dealer accepted a quote"), audience=STAFF)
QUOTE_DECLINED = _kind("quote_declined", _("A dealer declined a quote"), audience=STAFF)
QUOTE_REVISION = _kind("quote_revision_requested", _("A dealer asked for a quote's revision"), audience=STAFF)

_STAFF_KINDS = {
    QuoteEvent.Action.ACCEPTED: QUOTE_ACCEPTED,
    QuoteEvent.Action.DECLINED: QUOTE_DECLINED,
    QuoteEvent.Action.REVISION_REQUESTED: QUOTE_REVISION,
}


def _staff_for(quote: Quote):
    version = quote.versions.filter(sent_by__isnull=False).select_related("sent_by").order_by("-number").first()
    if version is not None and version.sent_by.is_active and version.sent_by.is_staff:
        return [version.sent_by]
    return list(staff_with_permission(PRICE_PERMISSION))


def quote_event_notify(*, quote: Quote, event: QuoteEvent) -> None:
    """Tell whoever must hear of ``event`` (see the module's docstring); other steps tell nobody."""
    params = {"quote_id": quote.pk, "note": event.note, "version": event.version_number}
    if event.action == QuoteEvent.Action.SENT:
        url = reverse("orders:quote_detail", args=[quote.number])
        notify(QUOTE_SENT.key, event=str(event.pk), recipients=[quote.requested_by], params=params, url=url)
        return
    kind = _STAFF_KINDS.get(event.action)
    if kind is None:
        return
    url = reverse("admin:orders_quote_change", args=[quote.pk])
    notify(kind.key, event=str(event.pk), recipients=_staff_for(quote), params=params, url=url)
