"""The portal's notification pages: the recent notices of the signed-in user, marking them read, and which optional
e-mails they receive. Every query is scoped to ``request.user``: another user's notice is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications.rendering import title
from notifications.services import (
    kinds_for,
    notifications_for,
    notifications_mark_read,
    preferences_for,
    preferences_set,
)

RECENT = 50


@login_required
def notification_list(request):
    notices = list(notifications_for(request.user)[:RECENT])
    rows = [{"notice": notice, "title": title(notice)} for notice in notices]
    return render(request, "notifications/list.html", {"rows": rows})


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark one's own notice read and go where it points."""
    notice = get_object_or_404(notifications_for(request.user), pk=pk)
    notifications_mark_read(user=request.user, ids=[notice.pk])
    target = notice.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect("notifications:list")
    return redirect(target)


@login_required
@require_POST
def notification_read_all(request):
    count = notifications_mark_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("notifications:list")


@login_required
def notification_preferences(request):
    if request.method == "POST":
        preferences_set(user=request.user, email_on=request.POST.getlist("email"))
        messages.success(request, _("Your e-mail preferences are saved."))
        return redirect("notifications:preferences")
    current = preferences_for(request.user)
    kinds = [{"kind": kind, "on": current[kind.key]} for kind in kinds_for(request.user)]
    return render(request, "notifications/preferences.html", {"kinds": kinds})
