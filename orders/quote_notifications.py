"""The notifications quotes send (templates in ``orders/templates/orders/notifications/quote_*``).

- requested → staff who price every dealer's quotes (``orders.price_quote`` and ``orders.view_quote``) and the
  dealer's sales representative when they may price quotes, as one digest of the requests not yet notified;
- sent → the dealer user who asked for the quote;
- a sent quote about to expire (``QUOTE_REMINDER_DAYS`` before its validity date, by the scheduled task) → the
  dealer user who asked, once per version;
- accepted, declined, revision requested → the staff member who sent the version, or, when nobody did or they
  left, staff who may price quotes (``orders.price_quote``).

Called by the quote services inside their transactions; e-mails go on commit (the digest with the digest task).
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications.kinds import STAFF, Kind, register
from notifications.services import notify, staff_with_permission
from orders.models import Quote, QuoteEvent

PRICE_PERMISSION = "orders.price_quote"
VIEW_PERMISSION = "orders.view_quote"


def _quote_context(params: dict) -> dict:
    quote = Quote.objects.select_related("dealer", "requested_by").filter(pk=params.get("quote_id")).first()
    context = {**params, "quote": quote}
    if params.get("valid_until"):
        context["valid_until"] = dt.date.fromisoformat(params["valid_until"])
    return context


def _kind(key: str, label, **extra) -> Kind:
    return register(Kind(key=key, label=label, template=f"orders/notifications/{key}", context=_quote_context, **extra))


QUOTE_SENT = _kind("quote_sent", _("A quote I asked for was sent to me"))
QUOTE_EXPIRING = _kind("quote_expiring", _("A quote sent to me expires soon"))
QUOTE_REQUESTED = _kind(
    "quote_requested",
    _("New quote requests (digest)"),
    digest=True,
    audience=STAFF,
    description=_("One e-mail every few minutes listing the quote requests dealers made since the last one."),
)
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


def _pricers_for(quote: Quote) -> list:
    """Who prices a new request: staff who see and price every quote, and the dealer's own sales representative
    when they may price quotes (a representative sees only their own dealers' quotes)."""
    pricers = staff_with_permission(PRICE_PERMISSION)
    users = list(pricers.filter(pk__in=staff_with_permission(VIEW_PERMISSION).values("pk")))
    rep = quote.dealer.sales_rep
    if rep is not None and rep.is_active and rep.user_id and pricers.filter(pk=rep.user_id).exists():
        users.append(rep.user)
    return users


def quote_event_notify(*, quote: Quote, event: QuoteEvent) -> None:
    """Tell whoever must hear of ``event`` (see the module's docstring); other steps tell nobody."""
    params = {"quote_id": quote.pk, "note": event.note, "version": event.version_number}
    if event.action == QuoteEvent.Action.REQUESTED:
        url = reverse("admin:orders_quote_change", args=[quote.pk])
        notify(QUOTE_REQUESTED.key, event=str(event.pk), recipients=_pricers_for(quote), params=params, url=url)
        return
    if event.action == QuoteEvent.Action.SENT:
        url = reverse("orders:quote_detail", args=[quote.number])
        notify(QUOTE_SENT.key, event=str(event.pk), recipients=[quote.requested_by], params=params, url=url)
        return
    kind = _STAFF_KINDS.get(event.action)
    if kind is None:
        return
    url = reverse("admin:orders_quote_change", args=[quote.pk])
    notify(kind.key, event=str(event.pk), recipients=_staff_for(quote), params=params, url=url)


def quote_expiring_notify(*, quote: Quote, version) -> list[str]:
    """Remind the dealer user who asked that the sent ``version`` expires on its validity date; once per version
    (the notice's key is the quote and version)."""
    params = {"quote_id": quote.pk, "version": version.number, "valid_until": version.valid_until.isoformat()}
    url = reverse("orders:quote_detail", args=[quote.number])
    event = f"{quote.pk}:{version.number}"
    return notify(QUOTE_EXPIRING.key, event=event, recipients=[quote.requested_by], params=params, url=url)
