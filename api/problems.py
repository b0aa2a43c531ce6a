"""Errors as ``application/problem+json`` (RFC 9457): ``type`` (a stable reference naming the reason), ``title``,
``status``, ``detail``, and ``code`` — the same reason codes the web pages decide with: the placement rules'
(``credit_hold``, ``credit_limit``, ``stock``…), quick order's row statuses (``not_orderable``, ``no_price``,
``invalid_quantity``…), and the API's own (``scope_missing``, ``idempotency_key_reused``…). Validation errors
carry ``errors``: per field, a list of messages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from api.reports import row_report
from orders.exceptions import DecisionRefused, OrderRefused, QuoteRefused
from orders.services.lines import LinesRefused

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"


class Problem(exceptions.APIException):
    """An error answered as a problem document; ``extra`` members are added to it."""

    def __init__(self, status_code: int, code: str, detail: str, *, title: str = "", **extra):
        self.status_code = status_code
        self.code = code
        self.title = title
        self.extra = extra
        super().__init__(detail=detail, code=code)


def problem_body(status_code: int, code: str, detail: str, *, title: str = "", **extra) -> dict:
    return {
        "type": f"{TYPE_BASE}{code}",
        "title": title or str(_TITLES.get(status_code, "Error")),
        "status": status_code,
        "detail": str(detail),
        "code": code,
        **extra,
    }


def problem_response(status_code: int, code: str, detail: str, *, headers=None, **extra) -> Response:
    return Response(
        problem_body(status_code, code, detail, **extra),
        status=status_code,
        headers=headers,
        content_type=CONTENT_TYPE,
    )


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    503: "Service unavailable",
}


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {
            field: _field_errors(value) if isinstance(value, dict) else _messages(value)
            for field, value in detail.items()
        }
    return {"non_field_errors": _messages(detail)}


def _messages(value) -> list:
    if isinstance(value, list):
        flat = []
        for item in value:
            flat.extend(
                _messages(item)
                if isinstance(item, list)
                else [_field_errors(item) if isinstance(item, dict) else str(item)]
            )
        return flat
    return [str(value)]


def _order_refused(exc: OrderRefused) -> Response:
    if isinstance(exc, LinesRefused):
        return problem_response(
            422,
            "lines_refused",
            _("Some lines cannot be ordered as given."),
            lines=row_report(exc.lines),
        )
    blocking = [check for check in exc.checks if check.blocks]
    code = blocking[0].rule if blocking else "order_refused"
    reasons = [{"code": check.rule, "message": str(check.message)} for check in blocking]
    return problem_response(422, code, "; ".join(str(m) for m in exc.messages), reasons=reasons)


def exception_handler(exc, context):
    """Every error of the API as a problem document; anything not handled here is a 500 (DRF re-raises it)."""
    if isinstance(exc, Problem):
        return problem_response(exc.status_code, exc.code, exc.detail, title=exc.title, **exc.extra)
    if isinstance(exc, Http404):
        return problem_response(404, "not_found", _("Not found."))
    if isinstance(exc, DjangoPermissionDenied):
        return problem_response(403, "permission_denied", str(exc) or _("You may not do this."))
    if isinstance(exc, OrderRefused):
        return _order_refused(exc)
    if isinstance(exc, DecisionRefused):
        return problem_response(409, "not_allowed", exc.message)
    if isinstance(exc, QuoteRefused):
        return problem_response(409, "quote_refused", exc.message)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return problem_response(400, "invalid", _("The request is not valid."), errors=_field_errors(detail))
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(400, "invalid", _("The request is not valid."), errors=_field_errors(exc.detail))
    if isinstance(exc, exceptions.Throttled):
        headers = {"Retry-After": str(int(exc.wait) if exc.wait is not None else 1)}
        return problem_response(429, "throttled", exc.detail, headers=headers, retry_after=int(exc.wait or 1))
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response = problem_response(401, "not_authenticated", exc.detail)
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            response["WWW-Authenticate"] = auth_header
        return response
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        return problem_response(exc.status_code, code, exc.detail if isinstance(exc.detail, str) else str(exc.detail))
    return None
