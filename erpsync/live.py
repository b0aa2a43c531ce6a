"""Live questions to the ERP asked from a dealer's page: the balance now.

Reached from the dealer's account page through ``dealers.hooks`` (``live_balance_offered``,
``live_balance_refresh``), which ``erpsync`` answers at start-up: the account page never opens an adapter itself.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.hooks import NO_LIVE_BALANCE, RefreshRefused
from dealers.models import Dealer
from erpsync.adapters import adapter_classes, adapter_for
from erpsync.adapters.base import Capability, ErpError
from erpsync.binders import bindings
from erpsync.models import Entity, ErpConnection, SyncRun

logger = logging.getLogger(__name__)
LIVE_REFRESH_SECONDS = 60


def balance_connection(dealer: Dealer) -> tuple[ErpConnection, str] | None:
    """The ERP connection that can tell this dealer's balance live, with the dealer's code in it, or None: the
    connection the dealer was imported through, else the default one, if its adapter offers a live balance."""
    ref = (
        bindings(Entity.CUSTOMER).filter(local_id=dealer.pk, connection__is_active=True).select_related("connection")
    ).first()
    if ref is not None:
        connection, code = ref.connection, ref.external_id
    else:
        connection = ErpConnection.objects.filter(is_active=True, is_default=True).first()
        code = dealer.code
    if connection is None:
        return None
    cls = adapter_classes().get(connection.adapter)
    if cls is None or Capability.LIVE_BALANCE not in cls.capabilities:
        return None
    return connection, code


def live_balance_offered(*, dealer: Dealer) -> bool:
    return balance_connection(dealer) is not None


def dealer_balance_refresh(*, dealer: Dealer) -> Dealer:
    """Ask the ERP for the dealer's balance now and store it with its *as of* time. At most once a minute per
    dealer; an ERP that does not answer, or answers in another currency, leaves the stored figures as they were
    and raises ``RefreshRefused``; an older answer never overwrites a newer figure the sync stored meanwhile. Each
    question to the ERP is a run in the run log (mode "live"), failed ones with the reason."""
    found = balance_connection(dealer)
    if found is None:
        raise RefreshRefused(NO_LIVE_BALANCE)
    connection, code = found
    if not cache.add(f"dealer-balance-refresh:{dealer.pk}", 1, LIVE_REFRESH_SECONDS):
        raise RefreshRefused(_("The figures were refreshed less than a minute ago."))
    run = SyncRun.objects.create(
        connection=connection, entity=Entity.BALANCE, mode=SyncRun.Mode.LIVE, summary={"dealer": dealer.code}
    )
    try:
        with adapter_for(connection) as adapter:
            if not adapter.supports(Capability.LIVE_BALANCE):
                _run_end(run, SyncRun.Status.FAILED, error="The adapter offers no live balance.")
                raise RefreshRefused(NO_LIVE_BALANCE)
            record = adapter.live_balance(code)
    except (ErpError, OSError) as exc:
        logger.warning("Live balance of dealer %s from %s failed: %s", dealer.code, connection.code, exc)
        _run_end(run, SyncRun.Status.FAILED, error=str(exc)[:2000])
        raise RefreshRefused(_("The ERP did not answer; the figures shown are the last ones it sent.")) from exc
    if record.currency and record.currency != dealer.currency:
        logger.warning(
            "Live balance of dealer %s came in %s, the account is in %s", dealer.code, record.currency, dealer.currency
        )
        _run_end(
            run, SyncRun.Status.FAILED, error=f"Answered in {record.currency}, the account is in {dealer.currency}."
        )
        raise RefreshRefused(_("The ERP answered in another currency; the figures shown are the last ones it sent."))
    as_of = record.as_of or timezone.now()
    updates = {"erp_balance": record.balance, "erp_balance_as_of": as_of, "updated_at": timezone.now()}
    if record.open_orders is not None and record.open_orders >= 0:
        updates.update(erp_open_orders=record.open_orders, erp_open_orders_as_of=as_of)
    # An older answer never overwrites a newer figure the sync stored meanwhile.
    changed = (
        Dealer.objects.filter(pk=dealer.pk)
        .filter(Q(erp_balance_as_of__isnull=True) | Q(erp_balance_as_of__lte=as_of))
        .update(**updates)
    )
    _run_end(run, SyncRun.Status.SUCCEEDED, updated=changed, unchanged=1 - changed)
    dealer.refresh_from_db()
    return dealer


def _run_end(run: SyncRun, status: str, *, error: str = "", updated: int = 0, unchanged: int = 0) -> None:
    """Close the run log's record of a live lookup: staff see failed lookups beside the imports."""
    run.status, run.error, run.updated, run.unchanged = status, error, updated, unchanged
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "updated", "unchanged", "finished_at"])
