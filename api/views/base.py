"""What every API view shares: authentication (API key, or the browser session), the scoping gate, throttling per
key, problem documents for errors, and keyset paging (``cursor``) that costs the same on the last page as on the
first."""

from __future__ import annotations

import base64
import binascii

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.views import APIView

from api.authentication import ApiKeyAuthentication, BrowsableSessionAuthentication
from api.models import Scope
from api.permissions import DealerScoped
from api.problems import Problem, exception_handler
from api.throttling import ApiKeyRateThrottle

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class ApiView(APIView):
    authentication_classes = [ApiKeyAuthentication, BrowsableSessionAuthentication]
    permission_classes = [IsAuthenticated, DealerScoped]
    throttle_classes = [ApiKeyRateThrottle]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    required_scope = Scope.READ

    def get_exception_handler(self):
        return exception_handler


def page_size(request) -> int:
    raw = request.query_params.get("page_size", "")
    if not raw:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise Problem(
            400, "invalid", _("page_size must be a number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE},
            errors={"page_size": [_("From 1 to %(max)s.") % {"max": MAX_PAGE_SIZE}]},
        )  # fmt: skip
    return size


def _cursor_encode(pk: int) -> str:
    return base64.urlsafe_b64encode(f"pk:{pk}".encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _sep, value = text.partition(":")
        if kind != "pk":
            raise ValueError(text)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(400, "invalid", _("The cursor is not valid."), errors={"cursor": [_("Not valid.")]}) from None


def keyset_page(request, queryset, *, descending: bool = False) -> tuple[list, str | None, str | None]:
    """One page of ``queryset`` in primary-key order after the request's ``cursor``: (rows, next cursor, next
    page's URL). Rows added while a client pages through appear on a later page or the next sync, never twice."""
    size = page_size(request)
    cursor = request.query_params.get("cursor", "")
    if cursor:
        after = _cursor_decode(cursor)
        queryset = queryset.filter(pk__lt=after) if descending else queryset.filter(pk__gt=after)
    rows = list(queryset.order_by("-pk" if descending else "pk")[: size + 1])
    if len(rows) <= size:
        return rows, None, None
    rows = rows[:size]
    next_cursor = _cursor_encode(rows[-1].pk)
    params = request.query_params.copy()
    params["cursor"] = next_cursor
    return rows, next_cursor, request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def parse_datetime_param(request, name: str):
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    value = parse_datetime(raw.replace(" ", "+"))
    if value is None:
        raise Problem(
            400, "invalid", _("%(name)s must be an ISO 8601 date and time.") % {"name": name},
            errors={name: [_("Not a date and time.")]},
        )  # fmt: skip
    if value.tzinfo is None:
        value = timezone.make_aware(value)
    return value
