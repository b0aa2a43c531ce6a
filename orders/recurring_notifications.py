"""The notifications of recurring orders (templates in ``orders/templates/orders/notifications/recurring_*``): the
schedule's owner hears of each run — the order placed (its number, total and status), or the date skipped with the
reasons. One notice per run (the event is the run), and one e-mail: a placed run's notice stays in the portal's
list, since the order's confirmation e-mail goes to the same person (the owner places the order) and says that the
list was ordered as scheduled (``orders.tasks.order_confirmation_send``); a skipped run's notice is e-mailed."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Kind, register
from notifications.services import notify
from orders.models import RecurringRun
from orders.reasons import reasons_text


def _run_context(params: dict) -> dict:
    run = (
        RecurringRun.objects.select_related("recurring__saved_list", "recurring__dealer", "order")
        .filter(pk=params.get("run_id"))
        .first()
    )
    context = {**params, "run": run, "order": run.order if run else None}
    if run is not None:
        context["reasons"] = reasons_text(run.reasons, run.recurring.dealer.currency)
    return context


def _kind(key: str, label, **extra) -> Kind:
    return register(Kind(key=key, label=label, template=f"orders/notifications/{key}", context=_run_context, **extra))


RECURRING_PLACED = _kind("recurring_placed", _("A recurring order of mine was placed"), emailed=False)
RECURRING_SKIPPED = _kind("recurring_skipped", _("A recurring order of mine could not be placed"))


def recurring_run_notify(*, run: RecurringRun, owner) -> list[str]:
    """Tell the schedule's owner how its run went; inside the run's transaction, e-mailed on commit."""
    if run.order_id:
        kind, url = RECURRING_PLACED, reverse("orders:order_detail", args=[run.order.number])
    else:
        kind, url = RECURRING_SKIPPED, reverse("orders:recurring_detail", args=[run.recurring_id])
    return notify(kind.key, event=str(run.pk), recipients=[owner], params={"run_id": run.pk}, url=url)
