"""The ERP-facing endpoints of erpsync: webhook deliveries (``erpsync.webhooks``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from erpsync.models import ErpConnection
from erpsync.webhooks import WebhookRefused, webhook_receive


@csrf_exempt  # the ERP signs its deliveries; it has no session or CSRF token
@require_POST
def webhook(request: HttpRequest, code: str) -> HttpResponse:
    """A delivery for the active connection ``code``: 200 when recorded (or recorded before), 401 for a bad
    signature, 400 for a delivery that names nothing to import."""
    connection = get_object_or_404(ErpConnection, code=code, is_active=True)
    try:
        delivery = webhook_receive(connection=connection, body=request.body, headers=request.headers)
    except WebhookRefused as exc:
        return HttpResponse(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    return HttpResponse("ok" if delivery is not None else "already received", content_type="text/plain")
