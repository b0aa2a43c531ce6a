"""The Nebim Integrator simulator as the ERP's end of a connection in tests: ``NebimErpSide`` fills the views the
shipped profile's queries and procedures read (``examples/nebim.json``), in the site's own column names, and says
what was posted."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import ErpDocument  # noqa: E402
from erpsync.adapters.profile import NebimAdapter  # noqa: E402
from erpsync.adapters.profile.columns import LINE_COLUMNS  # noqa: E402
from erpsync.simulators.nebim import NebimSimulator  # noqa: E402
from erpsync.tests.contract import (  # noqa: E402
    CUSTOMER_TIMEOUT_AFTER_APPLY,
    TIMEOUT_AFTER_APPLY,
    UNAVAILABLE,
    ErpSide,
    sample_order,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "adapters" / "profile" / "examples"
CUSTOMER = "120.01.001"


def nebim_profile() -> dict[str, Any]:
    return json.loads((EXAMPLES / "nebim.json").read_text(encoding="utf-8"))


def nebim_adapter(sim: NebimSimulator, profile: dict[str, Any] | None = None, **settings: Any) -> NebimAdapter:
    return NebimAdapter(
        settings={
            "profile": profile or nebim_profile(),
            "base_url": sim.root_url,
            "session_mode": sim.mode,
            "database_name": sim.company.database,
            "user_group_code": "B2B",
            "office_code": "M",
            "warehouse_code": "M",
            "timeout_seconds": 5,
            "page_size": 2,  # small pages: RunQuery's Skip/Take paging is exercised
            **settings,
        },
        credentials={"username": sim.username, "password": sim.password},
    )


def site_value(value: Any, *, compact_dates: bool) -> Any:
    """A record's value as the site's procedure returns it: dates as yyyyMMdd or ISO, enums as text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.strftime("%Y%m%d") if compact_dates else value.isoformat()
    return value


class NebimErpSide(ErpSide):
    """A V3 company with the contract's customer and items; ``publish`` fills the site's views."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY, CUSTOMER_TIMEOUT_AFTER_APPLY})

    def __init__(self, sim: NebimSimulator, **settings: Any) -> None:
        self.sim = sim
        self.company = sim.company
        self.settings = settings
        self.profile = nebim_profile()
        self.company.customers |= {CUSTOMER, "120.01.002"}
        self.company.items |= {line.product_code for line in sample_order().lines} | {"BISK-9"}

    def make_adapter(self) -> NebimAdapter:
        return nebim_adapter(self.sim, **self.settings)

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        spec = self.profile["reads"][entity]
        name = spec.get("proc") or spec["query"]
        rows = []
        for number, record in enumerate(records):
            compact = number % 2 == 1
            row = {site: site_value(getattr(record, contract), compact_dates=compact)
                   for contract, site in spec["columns"].items() if contract not in LINE_COLUMNS}  # fmt: skip
            row["ExtraSiteColumn"] = "geniş satır " * 5  # sites return more than the profile maps
            line_sites = {c: s for c, s in spec["columns"].items() if c in LINE_COLUMNS}
            if not line_sites:
                rows.append(row)
                continue
            # A document read returning lines: one row per line, a row with no line for a document without.
            for line in record.lines or (None,):
                values = {c: None if line is None else getattr(line, LINE_COLUMNS[c]) for c in line_sites}
                rows.append({**row, **{s: site_value(values[c], compact_dates=compact) for c, s in line_sites.items()}})
        with self.company.lock:
            self.company.views[name] = rows

    def received(self, kind: str) -> list[str]:
        with self.company.lock:
            if kind == "orders":
                return [o["DocumentNumber"] for o in self.company.orders]
            if kind == "cancellations":
                by_number = {o["OrderNumber"]: o["DocumentNumber"] for o in self.company.orders}
                return [by_number[n] for n in self.company.cancels]
            if kind == "payments":
                return [c["Description"] for c in self.company.collections]
            if kind == "customers":
                return list(self.company.created_customers)
        return []

    def consume(self) -> None:
        """Nebim applies a Post at once; nothing waits."""

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:
            self.sim.stop()
        elif failure in (TIMEOUT_AFTER_APPLY, CUSTOMER_TIMEOUT_AFTER_APPLY):
            self.sim.faults.apply_then_drop = 1
        else:
            raise NotImplementedError(failure)

    def normalise(self, entity: str, record: Any) -> Any:
        if entity == "product":
            return dataclasses.replace(record, units=())
        if entity == "customer":
            return dataclasses.replace(record, addresses=(), ibans=())
        if isinstance(record, ErpDocument):
            return dataclasses.replace(record, lines=None)
        return record

    def invalid_order(self):
        return dataclasses.replace(sample_order(), customer_code="999.99.999")  # no such customer in V3


__all__ = ["NebimErpSide", "nebim_adapter", "nebim_profile"]
