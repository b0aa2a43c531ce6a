"""The notification erpsync sends: new records in the exception queue, which need a person (a product the ERP sends
under an unknown unit, an order the ERP refused for good). Staff holding ``erpsync.change_syncissue`` receive one
digest every few minutes listing the batches of new issues, each with its connection, count and reasons; an issue
seen again while still open is not news. Optional (staff switch it off on the preferences page or in the admin)."""

from __future__ import annotations

from collections import Counter

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from notifications.kinds import STAFF, Kind, register
from notifications.services import notify, staff_with_permission

ISSUES_PERMISSION = "erpsync.change_syncissue"

SYNC_ISSUES = register(
    Kind(
        key="sync_issues",
        label=_("New sync issues that need a person (digest)"),
        template="erpsync/notifications/sync_issues",
        digest=True,
        audience=STAFF,
        description=_("One e-mail every few minutes listing the records the ERP sync could not handle."),
    )
)


def issues_notify(*, connection, issues) -> bool:
    """Tell staff of newly opened ``issues`` (saved, with their ids) of ``connection``, as one digest item."""
    issues = [issue for issue in issues if issue.pk is not None]
    if not issues:
        return False
    codes = Counter(issue.code for issue in issues)
    entities = sorted({issue.entity for issue in issues})
    notify(
        SYNC_ISSUES.key,
        event=f"{connection.pk}:{min(issue.pk for issue in issues)}",
        recipients=staff_with_permission(ISSUES_PERMISSION),
        params={
            "connection": connection.name or connection.code,
            "count": len(issues),
            "entities": entities,
            "codes": [[code, count] for code, count in codes.most_common(5)],
            "example": issues[0].message[:300],
        },
        url=f"{reverse('admin:erpsync_syncissue_changelist')}?connection__id__exact={connection.pk}",
    )
    return True
