"""What a drift check reports: the kinds of drift, one comparison's outcome and the whole check's, and the way
figures appear in an issue's message and payload."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy

from erpsync.issues import IssueDraft
from erpsync.models import ErpConnection, SyncRun

BALANCE_DRIFT = "balance_drift"
STOCK_DRIFT = "stock_drift"
ORDER_NOT_OPEN_IN_ERP = "order_not_open_in_erp"
ORDER_OPEN_ONLY_IN_ERP = "order_open_only_in_erp"

DRIFT_KINDS = {
    BALANCE_DRIFT: gettext_lazy("Balance differs from the account movements"),
    STOCK_DRIFT: gettext_lazy("Stock of a warehouse differs"),
    ORDER_NOT_OPEN_IN_ERP: gettext_lazy("Open in the portal, not open in the ERP"),
    ORDER_OPEN_ONLY_IN_ERP: gettext_lazy("Open in the ERP, closed or unknown in the portal"),
}

COMPARED = "compared"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass
class DriftCheck:
    """One comparison and its outcome: ``state`` is compared, skipped (``reason`` says why) or failed."""

    name: str
    codes: tuple[str, ...] = ()
    state: str = COMPARED
    reason: str = ""
    compared: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    drafts: list[IssueDraft] = field(default_factory=list, repr=False)
    # Records changed too recently to judge: their open issues are left as they are.
    keep: set[str] = field(default_factory=set, repr=False)

    @property
    def drifted(self) -> int:
        return len(self.drafts)

    def skip(self, reason: str) -> DriftCheck:
        self.state, self.reason = SKIPPED, reason
        return self

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"state": self.state, "compared": self.compared, "drifted": self.drifted}
        if self.reason:
            data["reason"] = self.reason
        if self.details:
            data["details"] = self.details
        return data


@dataclass
class DriftReport:
    connection: ErpConnection
    checks: list[DriftCheck] = field(default_factory=list)
    run: SyncRun | None = None
    recorded: int = 0
    resolved: int = 0
    error: str = ""

    def check(self, name: str) -> DriftCheck | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def compared(self) -> int:
        return sum(c.compared for c in self.checks)

    @property
    def drifted(self) -> int:
        return sum(c.drifted for c in self.checks)

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(c.state == FAILED for c in self.checks)

    @property
    def status(self) -> str:
        ran = [c for c in self.checks if c.state != SKIPPED]
        if self.error or (ran and all(c.state == FAILED for c in ran)):
            return SyncRun.Status.FAILED
        if self.failed or self.drifted:
            return SyncRun.Status.PARTIAL
        return SyncRun.Status.SUCCEEDED

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "compared": self.compared,
            "drifted": self.drifted,
            "recorded": self.recorded,
            "resolved": self.resolved,
            "checks": {c.name: c.as_dict() for c in self.checks},
        }
        if self.error:
            data["error"] = self.error
        return data


# --- Figures in messages and payloads ----------------------------------------------------------------------


def quantity_text(number: Decimal) -> str:
    """A quantity as people read it: no exponent, no trailing zeros."""
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "") else text


def money_text(number: Decimal) -> str:
    return f"{number:.2f}"


def iso_text(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
