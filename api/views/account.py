"""The dealer's account: balance and credit (``payments.receivables.account_summary``, ``dealers.credit``), open
items with their ageing (``payments.receivables.open_items``) and the statement of account for a period
(``dealers.account.statement``) — the figures of the account pages, each with its *as of*."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api.models import Scope
from api.problems import Problem
from api.serializers import AccountOut, OpenItemsOut, ProblemOut, StatementOut
from api.views.base import ApiView
from dealers.account import statement
from payments.receivables import account_summary, open_items

ERRORS = {400: ProblemOut, 401: ProblemOut, 403: ProblemOut, 429: ProblemOut}
MAX_STATEMENT_DAYS = 3 * 366


def _d(value) -> str | None:
    return None if value is None else str(value)


def _dt(value) -> str | None:
    return value.isoformat() if value else None


class AccountApi(ApiView):
    required_scope = Scope.ACCOUNT

    @extend_schema(
        operation_id="get_account",
        summary="Balance and credit",
        description=(
            "The balance the ERP reports, what is open and overdue, and the credit position: limit, exposure "
            "(ERP balance + ERP open orders + portal orders the ERP does not have yet), what is still available "
            "and any credit hold. Needs the `account` scope and a user who sees the account."
        ),
        responses={200: AccountOut, **ERRORS},
        tags=["account"],
    )
    def get(self, request):
        dealer = request.dealer_user.dealer
        summary = account_summary(dealer)
        credit = summary.credit
        return Response(
            {
                "currency": dealer.currency,
                "balance": _d(credit.erp_balance),
                "open_total": _d(summary.open_total),
                "overdue": _d(summary.overdue),
                "ledger_as_of": _dt(summary.ledger_as_of),
                "credit": {
                    "currency": credit.currency,
                    "credit_limit": _d(credit.credit_limit),
                    "erp_balance": _d(credit.erp_balance),
                    "erp_open_orders": _d(credit.erp_open_orders),
                    "portal_pending": _d(credit.portal_pending),
                    "exposure": _d(credit.exposure),
                    "available": _d(credit.available),
                    "on_hold": credit.on_hold,
                    "hold_reason": credit.hold_reason,
                    "credit_limit_as_of": _dt(credit.credit_limit_as_of),
                    "erp_balance_as_of": _dt(credit.erp_balance_as_of),
                },
            }
        )


class OpenItemsApi(ApiView):
    required_scope = Scope.ACCOUNT

    @extend_schema(
        operation_id="list_open_items",
        summary="Open items",
        description="What is still owed, item by item, with days overdue and the ageing buckets, less what was paid "
        "in the portal since the ERP last sent its movements.",
        responses={200: OpenItemsOut, **ERRORS},
        tags=["account"],
    )
    def get(self, request):
        ageing = open_items(request.dealer_user.dealer)
        return Response(
            {
                "on": ageing.on.isoformat(),
                "currency": ageing.currency,
                "total": _d(ageing.total),
                "overdue": _d(ageing.overdue),
                "unapplied_credit": _d(ageing.unapplied_credit),
                "as_of": _dt(ageing.as_of),
                "buckets": [{"label": str(label), "amount": _d(amount)} for label, amount in ageing.buckets],
                "items": [
                    {
                        "document_number": item.document_number,
                        "kind": item.kind,
                        "posted_on": item.posted_on.isoformat(),
                        "due_on": item.due_on.isoformat(),
                        "amount": _d(item.amount),
                        "open_amount": _d(item.open_amount),
                        "paid_in_portal": _d(item.paid_in_portal),
                        "days_overdue": item.days_overdue,
                    }
                    for item in ageing.items
                ],
            }
        )


def _date_param(request, name: str, default: date) -> date:
    raw = request.query_params.get(name, "")
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Problem(400, "invalid", _("Dates are written YYYY-MM-DD."), errors={name: [_("Not a date.")]}) from None


class StatementApi(ApiView):
    required_scope = Scope.ACCOUNT

    @extend_schema(
        operation_id="get_statement",
        summary="Statement of account",
        description="Opening balance, every movement with its running balance, totals and closing balance for "
        "`date_from`–`date_to` (this year so far by default; at most three years).",
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ],
        responses={200: StatementOut, **ERRORS},
        tags=["account"],
    )
    def get(self, request):
        today = timezone.localdate()
        date_from = _date_param(request, "date_from", today.replace(month=1, day=1))
        date_to = _date_param(request, "date_to", today)
        if date_from > date_to or (date_to - date_from).days > MAX_STATEMENT_DAYS:
            raise Problem(
                400, "invalid", _("The period must start before it ends and span at most three years."),
                errors={"date_from": [_("Not a valid period.")]},
            )  # fmt: skip
        result = statement(request.dealer_user.dealer, date_from, date_to)
        return Response(
            {
                "currency": result.currency,
                "date_from": result.date_from.isoformat(),
                "date_to": result.date_to.isoformat(),
                "opening": _d(result.opening),
                "total_debit": _d(result.total_debit),
                "total_credit": _d(result.total_credit),
                "closing": _d(result.closing),
                "as_of": _dt(result.as_of),
                "lines": [
                    {
                        "posted_on": line.posted_on.isoformat(),
                        "kind": line.kind,
                        "document_number": line.document_number,
                        "description": line.description,
                        "due_on": _dt(line.due_on),
                        "debit": _d(line.debit),
                        "credit": _d(line.credit),
                        "balance": _d(line.balance),
                    }
                    for line in result.lines
                ],
            }
        )
