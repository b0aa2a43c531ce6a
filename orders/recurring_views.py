"""Dealer pages for recurring orders: the user's schedules, one schedule with its run history, and creating,
changing, pausing, resuming and deleting a schedule on a saved list. Each view parses input, calls one service
or selector and renders. Another user's or dealer's schedule is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealers.access import dealer_required
from orders.forms import RecurringForm
from orders.recurring import is_clamped, next_run_on
from orders.services.cart import saved_lists_for
from orders.services.recurring import (
    RecurringRefused,
    Timing,
    recurring_delete,
    recurring_for_dealer_user,
    recurring_pause,
    recurring_resume,
    recurring_save,
)

RUNS_SHOWN = 50


def _own_or_404(request, recurring_id: int):
    recurring = (
        recurring_for_dealer_user(request.dealer_user)
        .select_related("saved_list", "delivery_address")
        .filter(pk=recurring_id)
        .first()
    )
    if recurring is None:
        raise Http404
    return recurring


@dealer_required
def recurring_list(request):
    today = timezone.localdate()
    schedules = list(
        recurring_for_dealer_user(request.dealer_user).select_related("saved_list", "delivery_address").order_by("pk")
    )
    rows = [{"recurring": r, "next": next_run_on(r, today), "clamped": is_clamped(r.day_of_month)} for r in schedules]
    return render(request, "orders/recurring_list.html", {"rows": rows})


def _save(request, form, recurring=None):
    data = form.cleaned_data
    timing = Timing(
        frequency=data["frequency"],
        start_date=data["start_date"],
        interval_weeks=data.get("interval_weeks") or 1,
        day_of_month=data.get("day_of_month"),
        end_date=data.get("end_date"),
    )
    return recurring_save(
        dealer_user=request.dealer_user,
        saved_list=data["saved_list"],
        timing=timing,
        payment_method=data["payment_method"],
        delivery_address=data["delivery_address"],
        recurring=recurring,
    )


@dealer_required
def recurring_new(request):
    lists = saved_lists_for(request.dealer_user)
    initial = {"start_date": timezone.localdate(), "frequency": "weekly", "saved_list": request.GET.get("list")}
    form = RecurringForm(request.POST or None, lists=lists, dealer=request.dealer_user.dealer, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            recurring = _save(request, form)
        except RecurringRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("The list will be ordered on its schedule."))
            return redirect("orders:recurring_detail", recurring.pk)
    return render(request, "orders/recurring_form.html", {"form": form, "recurring": None})


@dealer_required
def recurring_detail(request, recurring_id: int):
    recurring = _own_or_404(request, recurring_id)
    initial = {
        "saved_list": recurring.saved_list_id,
        "frequency": recurring.frequency,
        "interval_weeks": recurring.interval_weeks,
        "day_of_month": recurring.day_of_month,
        "start_date": recurring.start_date,
        "end_date": recurring.end_date,
        "payment_method": recurring.payment_method,
        "delivery_address": recurring.delivery_address_id,
    }
    lists = saved_lists_for(request.dealer_user)
    form = RecurringForm(request.POST or None, lists=lists, dealer=request.dealer_user.dealer, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, form, recurring)
        except RecurringRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("The schedule was saved."))
            return redirect("orders:recurring_detail", recurring.pk)
    runs = recurring.runs.select_related("order").order_by("-run_on", "-pk")[:RUNS_SHOWN]
    context = {
        "form": form,
        "recurring": recurring,
        "runs": runs,
        "next": next_run_on(recurring, timezone.localdate()),
        "clamped": is_clamped(recurring.day_of_month),
        "currency": request.dealer_user.dealer.currency,
    }
    return render(request, "orders/recurring_form.html", context)


@require_POST
@dealer_required
def recurring_action(request, recurring_id: int, action: str):
    """Pause, resume or delete the user's own schedule."""
    _own_or_404(request, recurring_id)
    try:
        if action == "pause":
            recurring_pause(dealer_user=request.dealer_user, recurring_id=recurring_id)
            messages.success(request, _("The schedule is paused."))
        elif action == "resume":
            recurring_resume(dealer_user=request.dealer_user, recurring_id=recurring_id)
            messages.success(request, _("The schedule runs again from its next date."))
        else:
            recurring_delete(dealer_user=request.dealer_user, recurring_id=recurring_id)
            messages.success(request, _("The schedule was deleted; the orders it placed stay."))
            return redirect("orders:recurring_list")
    except RecurringRefused as refused:
        messages.error(request, refused.message)
    return redirect("orders:recurring_detail", recurring_id)
