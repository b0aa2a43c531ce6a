"""What staff do with a sync issue that sends work back to the sync: retry it (requeue its export job, queue a
drift check or the entity's next import) or map its ERP record to an existing portal record.

Recording and closing issues (``erpsync.issues``) sits below the outbox, imports and drift checks, which all
record issues; these actions sit above them.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

# Through their modules, so the queued task is looked up when it runs (tests replace it there).
from erpsync import drift, tasks
from erpsync.binders import BindingConflict, bind
from erpsync.issues import IssueRefused, _locked_open
from erpsync.models import Entity, SyncIssue, SyncJob
from erpsync.outbox import outbox_requeue


@transaction.atomic
def sync_issue_retry(*, issue: SyncIssue, user) -> SyncIssue:
    """Ask the sync to try the record again: an export issue requeues its job now; an import issue waits for
    the next run of its entity, which is queued. The issue shows "retrying" until that run decides."""
    locked = _locked_open(issue)
    locked.status = SyncIssue.Status.RETRYING
    locked.owner = locked.owner or user
    locked.save(update_fields=["status", "owner", "updated_at"])
    if locked.job_id:
        job = SyncJob.objects.get(pk=locked.job_id)
        if job.status in (SyncJob.Status.DEAD, SyncJob.Status.RETRYING):
            outbox_requeue(job=job, user=user)
    elif locked.entity == Entity.DRIFT:
        # A drift is checked again by the drift check, which resolves the issue when both sides agree.
        connection_id = locked.connection_id
        transaction.on_commit(lambda: drift.queue_drift_check(connection_id=connection_id))
    else:
        entity = locked.entity
        transaction.on_commit(lambda: tasks.queue_import(connection_id=locked.connection_id, entity=entity))
    return locked


# What "map to existing record" binds, per entity: the portal model and the field staff search by.
MAPPABLE = {
    Entity.PRODUCT: ("catalog", "Product", ("sku", "name")),
    Entity.CUSTOMER: ("dealers", "Dealer", ("code", "title", "tax_number")),
    Entity.WAREHOUSE: ("catalog", "Warehouse", ("code", "name")),
    Entity.PRICE_LIST: ("catalog", "PriceList", ("code", "name")),
}


@transaction.atomic
def sync_issue_map(*, issue: SyncIssue, local_id: int, user) -> SyncIssue:
    """Bind the issue's ERP record to an existing portal record (the ERP's code for a product the portal knows
    under another SKU, a customer account that already exists under another code), resolve the issue and
    queue a re-import. Refuses entities that cannot be mapped, an unknown portal record, and a portal record
    already bound to another ERP record of this connection."""
    locked = _locked_open(issue)
    if locked.entity not in MAPPABLE or not locked.external_id:
        raise IssueRefused(_("Records of this kind cannot be mapped by hand."))
    app_label, model_name, _fields = MAPPABLE[locked.entity]
    model = apps.get_model(app_label, model_name)
    if not model.objects.filter(pk=local_id).exists():
        raise IssueRefused(_("There is no such record in the portal."))
    try:
        # The ERP code may leave a portal record it was mapped to before; the portal record may not leave its own.
        bind(locked.connection_id, locked.entity, local_id, locked.external_id, rebind_external=True)
    except BindingConflict:
        raise IssueRefused(_("That record is already bound to another ERP record.")) from None
    locked.status = SyncIssue.Status.RESOLVED
    locked.local_id = local_id
    locked.resolved_at = timezone.now()
    locked.resolved_by = user
    locked.save(update_fields=["status", "local_id", "resolved_at", "resolved_by", "updated_at"])
    entity, connection_id = locked.entity, locked.connection_id
    transaction.on_commit(lambda: tasks.queue_import(connection_id=connection_id, entity=entity))
    return locked
