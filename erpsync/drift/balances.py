"""The balance check: per dealer, the ERP's balance against the sum of the account movements the portal holds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from dealers.models import AccountEntry, Dealer
from erpsync.adapters.base import Capability, ErpAdapter
from erpsync.binders import to_external_many
from erpsync.drift.options import BATCH, DriftOptions
from erpsync.drift.report import BALANCE_DRIFT, DriftCheck, iso_text, money_text, quantity_text
from erpsync.issues import IssueDraft
from erpsync.models import Entity, ErpConnection

ZERO = Decimal("0")


def check_balances(connection: ErpConnection, adapter: ErpAdapter, options: DriftOptions, now: datetime) -> DriftCheck:
    """Each dealer's ERP balance against the sum of its account movements from this connection."""
    check = DriftCheck("balance", codes=(BALANCE_DRIFT,))
    if not adapter.can_read("ledger"):
        return check.skip(_("The ERP does not send account movements."))
    live = options.live_balance and adapter.supports(Capability.LIVE_BALANCE)
    if not live and not adapter.can_read("balance"):
        return check.skip(_("The ERP does not send balances."))
    if options.live_balance and not live:
        check.details["live_balance"] = "not supported by the adapter: compared the imported balance"
    check.details["source"] = "live" if live else "imported"
    check.details["tolerance"] = quantity_text(options.balance_tolerance)
    entries = AccountEntry.objects.filter(connection=connection)
    totals = {
        row["dealer_id"]: row
        for row in entries.order_by().values("dealer_id").annotate(total=Sum("amount"), movements=Count("id"))
    }
    check.details["dealers_without_movements"] = Dealer.objects.exclude(
        pk__in=entries.order_by().values("dealer_id")
    ).count()
    never = 0
    ids = sorted(totals)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        dealers = Dealer.objects.filter(pk__in=chunk).only(
            "pk", "code", "currency", "erp_balance", "erp_balance_as_of", "ledger_as_of"
        )
        customer_codes = to_external_many(connection, Entity.CUSTOMER, chunk) if live else {}
        for dealer in dealers.order_by("pk"):
            if live:
                answer = adapter.live_balance(customer_codes.get(dealer.pk, dealer.code))
                erp_balance, erp_as_of = answer.balance, answer.as_of or now
            elif dealer.erp_balance_as_of is None:
                never += 1  # the ERP has not sent this dealer's balance yet: nothing to compare with
                continue
            else:
                erp_balance, erp_as_of = dealer.erp_balance, dealer.erp_balance_as_of
            movements = totals[dealer.pk]["total"] or ZERO
            check.compared += 1
            if abs(erp_balance - movements) <= options.balance_tolerance:
                continue
            check.drafts.append(
                _balance_draft(
                    dealer,
                    erp_balance=erp_balance,
                    erp_as_of=erp_as_of,
                    movements=movements,
                    movement_count=totals[dealer.pk]["movements"],
                    live=live,
                    options=options,
                )
            )
    if never:
        check.details["balance_never_sent"] = never
    return check


def _balance_draft(
    dealer: Dealer,
    *,
    erp_balance: Decimal,
    erp_as_of: datetime,
    movements: Decimal,
    movement_count: int,
    live: bool,
    options: DriftOptions,
) -> IssueDraft:
    figures = {
        "dealer": dealer.code,
        "erp": money_text(erp_balance),
        "portal": money_text(movements),
        "difference": money_text(erp_balance - movements),
        "currency": dealer.currency,
    }
    return IssueDraft(
        entity=Entity.DRIFT,
        code=BALANCE_DRIFT,
        external_id=dealer.code,
        local_id=dealer.pk,
        message=_(
            "Balance of %(dealer)s: the ERP says %(erp)s %(currency)s, the account movements in the "
            "portal add up to %(portal)s %(currency)s (difference %(difference)s)."
        )
        % figures,
        payload={
            "erp_balance": figures["erp"],
            "movements_total": figures["portal"],
            "difference": figures["difference"],
            "currency": dealer.currency,
            "movements": movement_count,
            "source": "live" if live else "imported",
            "erp_balance_as_of": iso_text(erp_as_of),
            "ledger_as_of": iso_text(dealer.ledger_as_of),
            "tolerance": quantity_text(options.balance_tolerance),
        },
    )
