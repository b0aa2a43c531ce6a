"""The dealer admin's pages: API keys (created — the key shown once —, listed with prefix, scopes, expiry and last
use, revoked) and webhook endpoints (registered and their secret rolled — the secret shown once, afterwards its
hint —, changed, their deliveries with response codes, sent again).
Everything goes through ``dealers.access`` and the services in ``api.services``."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.forms import ApiKeyForm, WebhookEndpointForm
from api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from api.services import (
    api_key_create,
    api_key_revoke,
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_secret_roll,
)
from api.webhook_secrets import previous_secret_valid
from dealers.access import dealer_admin_required, get_scoped_or_404, scoped

DELIVERIES_SHOWN = 50


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@dealer_admin_required
def api_key_list(request):
    dealer = request.dealer_user.dealer
    form = ApiKeyForm(request.POST or None, dealer=dealer)
    new_key = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expires = data["expires_on"]
        expires_at = timezone.make_aware(datetime.combine(expires, time.max)) if expires else None
        try:
            row, new_key = api_key_create(
                dealer_user=data["dealer_user"],
                name=data["name"],
                scopes=data["scopes"],
                expires_at=expires_at,
                created_by=request.user,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request, _("The key %(name)s was created. Copy it now: it is not shown again.") % {"name": row.name}
            )
            form = ApiKeyForm(dealer=dealer)
    keys = scoped(ApiKey.objects.select_related("dealer_user__user"), request.dealer_user).order_by("-created_at")
    return render(
        request, "api/api_key_list.html", {"form": form, "keys": keys, "new_key": new_key, "nav_section": "api"}
    )


@require_POST
@dealer_admin_required
def api_key_revoke_view(request, pk: int):
    api_key = get_scoped_or_404(ApiKey, request.dealer_user, pk=pk)
    api_key_revoke(api_key=api_key)
    messages.success(request, _("The key %(name)s was revoked.") % {"name": api_key.name})
    return redirect("api_portal:api_key_list")


@dealer_admin_required
def webhook_list(request):
    form = WebhookEndpointForm(request.POST or None)
    created = new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, new_secret = webhook_endpoint_create(
                dealer=request.dealer_user.dealer,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                created_by=request.user,
            )
        except ValidationError as error:
            _form_errors(form, error) if hasattr(error, "error_dict") else form.add_error("url", error.messages)
        else:
            messages.success(request, _("The address was registered. Its signing secret is shown below."))
            form = WebhookEndpointForm()
    endpoints = scoped(WebhookEndpoint.objects.all(), request.dealer_user).order_by("pk")
    return render(
        request,
        "api/webhook_list.html",
        {"form": form, "endpoints": endpoints, "created": created, "new_secret": new_secret, "nav_section": "api"},
    )


@dealer_admin_required
def webhook_edit(request, pk: int):
    endpoint = get_scoped_or_404(WebhookEndpoint, request.dealer_user, pk=pk)
    initial = {"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active}
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_endpoint_update(
                endpoint=endpoint,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as error:
            _form_errors(form, error) if hasattr(error, "error_dict") else form.add_error("url", error.messages)
        else:
            messages.success(request, _("The webhook address was saved."))
            return redirect("api_portal:webhook_edit", pk=endpoint.pk)
    return _webhook_page(request, endpoint, form)


def _webhook_page(request, endpoint: WebhookEndpoint, form, new_secret: str | None = None):
    deliveries = scoped(WebhookDelivery.objects.filter(endpoint=endpoint), request.dealer_user).order_by("-pk")[
        :DELIVERIES_SHOWN
    ]
    return render(
        request,
        "api/webhook_edit.html",
        {
            "form": form,
            "endpoint": endpoint,
            "deliveries": deliveries,
            "new_secret": new_secret,
            "previous_valid": previous_secret_valid(endpoint),
            "nav_section": "api",
        },
    )


@require_POST
@dealer_admin_required
def webhook_secret_roll_view(request, pk: int):
    """Answered with the page itself, not a redirect: the new secret is shown in this answer only."""
    endpoint = get_scoped_or_404(WebhookEndpoint, request.dealer_user, pk=pk)
    endpoint, secret = webhook_secret_roll(endpoint=endpoint, actor=request.user, dealer=request.dealer_user.dealer)
    messages.success(request, _("A new signing secret was made. Copy it now: it is not shown again."))
    initial = {"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active}
    return _webhook_page(request, endpoint, WebhookEndpointForm(initial=initial), new_secret=secret)


@require_POST
@dealer_admin_required
def delivery_replay_view(request, pk: int):
    delivery = get_scoped_or_404(WebhookDelivery, request.dealer_user, pk=pk)
    webhook_delivery_replay(delivery=delivery, dealer=request.dealer_user.dealer)
    messages.success(request, _("The delivery is being sent again."))
    return redirect("api_portal:webhook_edit", pk=delivery.endpoint_id)
