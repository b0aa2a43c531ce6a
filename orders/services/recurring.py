"""Recurring orders: a saved list placed again on its schedule, in its owner's name, through ``order_place``.

- ``recurring_save``, ``recurring_pause``, ``recurring_resume``, ``recurring_delete``: the owner's writes, refused
  with ``RecurringRefused`` for a list, address or payment method that is not theirs to use;
- ``recurring_run``: one schedule on one date. The schedule row is locked and the date's run looked up first, so
  two workers (or a retry) run a date once; the order's idempotency key is derived from ``recurring:<id>:<date>``,
  so even a run whose record was lost finds its order instead of placing another. The list is priced today and
  the same placement rules apply: an order above the owner's approval limit waits for the dealer's approver, a
  shortfall or credit limit holds it for staff, and what placement refuses (credit hold, a blocked dealer, a
  product no longer orderable, an empty list) — or an owner, address or payment method no longer valid — is
  recorded as a skipped run with the reasons. Either way the owner is notified, in their language, and the
  schedule goes on;
- ``recurring_runs_due``: every active schedule due on a date (today in the portal's time zone by default) that
  has not run on it; the scheduled task calls it hourly.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dealers.models import DealerAddress, DealerUser
from notifications.services import user_language
from orders.exceptions import OrderRefused
from orders.models import Cart, Order, RecurringOrder, RecurringRun
from orders.recurring import MONTHLY, WEEKLY, is_due
from orders.recurring_notifications import recurring_run_notify
from orders.services.placement import order_place

log = logging.getLogger(__name__)
# Recurring orders are placed with nobody at the screen: card payments need the buyer there.
PAYMENT_METHODS = (Order.PaymentMethod.ON_ACCOUNT, Order.PaymentMethod.BANK_TRANSFER)
# The namespace of the idempotency keys of recurring runs (a fixed, arbitrary UUID).
KEY_NAMESPACE = uuid.UUID("6f1c9a52-3d2e-4b8a-9e57-0c8f4d2a1b63")


class RecurringRefused(Exception):
    """A recurring order change that is not allowed; ``message`` says why, for the dealer user."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Timing:
    frequency: str
    start_date: dt.date
    interval_weeks: int = 1
    day_of_month: int | None = None
    end_date: dt.date | None = None


def idempotency_key(recurring_id: int, day: dt.date) -> uuid.UUID:
    """The order's idempotency key for one schedule and date: the same on every attempt."""
    return uuid.uuid5(KEY_NAMESPACE, f"recurring:{recurring_id}:{day.isoformat()}")


def recurring_for_dealer_user(dealer_user: DealerUser):
    """The recurring orders a dealer user owns (in their dealer)."""
    return RecurringOrder.objects.filter(dealer_id=dealer_user.dealer_id, owner_id=dealer_user.user_id)


def _check(dealer_user, saved_list, timing: Timing, payment_method, delivery_address) -> None:
    usable = (
        Cart.objects.filter(pk=saved_list.pk, dealer_id=dealer_user.dealer_id, kind=Cart.Kind.SAVED)
        .filter(Q(owner_id=dealer_user.user_id) | Q(is_shared=True))
        .exists()
    )
    if not usable:
        raise RecurringRefused(_("This list is not available to you."))
    if timing.frequency == WEEKLY and not 1 <= timing.interval_weeks <= 52:
        raise RecurringRefused(_("Choose every 1 to 52 weeks."))
    if timing.frequency == MONTHLY and not (timing.day_of_month and 1 <= timing.day_of_month <= 31):
        raise RecurringRefused(_("Choose a day of the month from 1 to 31."))
    if timing.frequency not in (WEEKLY, MONTHLY):
        raise RecurringRefused(_("Choose how often the list is ordered."))
    if timing.end_date is not None and timing.end_date < timing.start_date:
        raise RecurringRefused(_("The last date is before the first date."))
    if payment_method not in PAYMENT_METHODS:
        raise RecurringRefused(_("A recurring order is paid on account or by bank transfer."))
    if not _address_usable(dealer_user.dealer_id, delivery_address):
        raise RecurringRefused(_("Choose one of your delivery addresses."))


def _address_usable(dealer_id: int, address: DealerAddress | None) -> bool:
    return (
        address is not None
        and address.dealer_id == dealer_id
        and address.is_active
        and address.kind == DealerAddress.Kind.SHIPPING
    )


@transaction.atomic
def recurring_save(
    *,
    dealer_user: DealerUser,
    saved_list: Cart,
    timing: Timing,
    payment_method: str,
    delivery_address: DealerAddress | None,
    recurring: RecurringOrder | None = None,
) -> RecurringOrder:
    """Create a recurring order on ``saved_list`` owned by ``dealer_user``, or change ``recurring`` (theirs).
    Refuses a list they may not use, another dealer's or an inactive address, a card payment and dates that do
    not make a schedule. Changes apply from the next run; runs already made stay as they were."""
    if recurring is not None and not recurring_for_dealer_user(dealer_user).filter(pk=recurring.pk).exists():
        raise RecurringRefused(_("This recurring order is not available to you."))
    _check(dealer_user, saved_list, timing, payment_method, delivery_address)
    if recurring is None:
        recurring = RecurringOrder(dealer_id=dealer_user.dealer_id, owner_id=dealer_user.user_id)
    recurring.saved_list = saved_list
    recurring.frequency = timing.frequency
    recurring.interval_weeks = timing.interval_weeks if timing.frequency == WEEKLY else 1
    recurring.day_of_month = timing.day_of_month if timing.frequency == MONTHLY else None
    recurring.start_date = timing.start_date
    recurring.end_date = timing.end_date
    recurring.payment_method = payment_method
    recurring.delivery_address = delivery_address
    recurring.save()
    return recurring


def _own(dealer_user: DealerUser, recurring_id: int) -> RecurringOrder:
    recurring = recurring_for_dealer_user(dealer_user).select_for_update(of=("self",)).filter(pk=recurring_id).first()
    if recurring is None:
        raise RecurringRefused(_("This recurring order is not available to you."))
    return recurring


@transaction.atomic
def recurring_pause(*, dealer_user: DealerUser, recurring_id: int) -> RecurringOrder:
    """Stop the runs until resumed; refuses another user's schedule."""
    recurring = _own(dealer_user, recurring_id)
    recurring.is_active = False
    recurring.save(update_fields=["is_active", "updated_at"])
    return recurring


@transaction.atomic
def recurring_resume(*, dealer_user: DealerUser, recurring_id: int) -> RecurringOrder:
    """Run again from the next due date (the dates missed while paused are not made up)."""
    recurring = _own(dealer_user, recurring_id)
    recurring.is_active = True
    recurring.save(update_fields=["is_active", "updated_at"])
    return recurring


@transaction.atomic
def recurring_delete(*, dealer_user: DealerUser, recurring_id: int) -> None:
    """Delete the schedule and its run history; the orders it placed stay."""
    _own(dealer_user, recurring_id).delete()


def _owner_membership(recurring: RecurringOrder) -> DealerUser | None:
    return (
        DealerUser.objects.select_related("dealer", "user")
        .filter(dealer_id=recurring.dealer_id, user_id=recurring.owner_id, is_active=True, user__is_active=True)
        .first()
    )


def recurring_run(*, recurring: RecurringOrder, day: dt.date) -> RecurringRun | None:
    """Run ``recurring`` for ``day``: place its order or record why not, and notify the owner. Returns the date's
    run (the one made earlier when the date has run already), or None when the schedule is paused, deleted or not
    due on ``day``."""
    with transaction.atomic():
        locked = RecurringOrder.objects.select_for_update(of=("self",)).filter(pk=recurring.pk).first()
        if locked is None or not locked.is_active or not is_due(locked, day):
            return None
        done = RecurringRun.objects.filter(recurring=locked, run_on=day).select_related("order").first()
        if done is not None:
            return done
        membership = _owner_membership(locked)
        language = user_language(membership.user if membership else locked.owner)
        with translation.override(language):
            order, reasons = _place(locked, membership, day)
        run = RecurringRun.objects.create(
            recurring=locked,
            run_on=day,
            outcome=RecurringRun.Outcome.PLACED if order else RecurringRun.Outcome.SKIPPED,
            order=order,
            reasons=reasons,
        )
        recurring_run_notify(run=run, owner=locked.owner)
        return run


def _place(recurring: RecurringOrder, membership: DealerUser | None, day: dt.date):
    """The order placed for ``day``, or None with the reasons it was not (placement rule records, or texts)."""
    if membership is None:
        return None, [{"text": _("The list's owner can no longer order for this dealer.")}]
    if recurring.payment_method not in PAYMENT_METHODS:
        return None, [{"text": _("A recurring order is paid on account or by bank transfer.")}]
    address = recurring.delivery_address
    if not _address_usable(recurring.dealer_id, address):
        return None, [{"text": _("The delivery address is no longer one of the dealer's active addresses.")}]
    try:
        order = order_place(
            dealer_user=membership,
            idempotency_key=idempotency_key(recurring.pk, day),
            payment_method=recurring.payment_method,
            delivery_address=address,
            note=_("Recurring order: %(list)s") % {"list": recurring.saved_list.name},
            saved_list=recurring.saved_list,
        )
    except OrderRefused as refused:
        blocking = [check.as_record() for check in refused.checks if check.blocks]
        return None, blocking or [{"text": str(message)} for message in refused.messages]
    return order, []


def recurring_runs_due(day: dt.date | None = None) -> list[RecurringRun]:
    """Run every active schedule due on ``day`` (today in the portal's time zone by default) that has not run on
    it. Safe to call any number of times: a date runs once. One schedule failing unexpectedly does not stop the
    others (it is logged and tried again on the next call)."""
    day = day or timezone.localdate()
    candidates = (
        RecurringOrder.objects.filter(is_active=True, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .exclude(runs__run_on=day)
        .order_by("pk")
    )
    runs = []
    for recurring in candidates:
        if not is_due(recurring, day):
            continue
        try:
            run = recurring_run(recurring=recurring, day=day)
        except Exception:
            log.exception("recurring order %s could not run for %s", recurring.pk, day)
            continue
        if run is not None:
            runs.append(run)
    return runs
