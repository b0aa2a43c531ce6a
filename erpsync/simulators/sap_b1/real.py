"""Items as a real company holds them, recorded from a real Service Layer (``sap_b1_real_items.json``, see its
``_source``), loaded into a simulated company: the company gets the user-defined fields, warehouses and price lists
those items name, so they go in as recorded (353 properties, 60 UDFs, ten warehouse rows of 66 properties)."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from erpsync.simulators.sap_b1.company import Company
from erpsync.simulators.sap_b1.metadata import metadata

REAL_ITEMS_FILE = Path(__file__).with_name("sap_b1_real_items.json")


@functools.cache
def _recorded() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(REAL_ITEMS_FILE.read_text(encoding="utf-8"))["items"])


def real_items() -> list[dict[str, Any]]:
    """The recorded items (copies), without their ``@odata`` annotations."""
    return [{k: v for k, v in copy.deepcopy(item).items() if not k.startswith("@")} for item in _recorded()]


def _udf_type(value: Any) -> str:
    return "Edm.Double" if isinstance(value, int | float) and not isinstance(value, bool) else "Edm.String"


def load_real_items(company: Company) -> list[dict[str, Any]]:
    """Add the recorded items to ``company`` with what they need: their UDFs declared (on ``Item`` and on
    ``ItemWarehouseInfo``), their warehouses and price lists created when missing. Returns the items added."""
    items = real_items()
    with company.lock:
        for item in items:
            for name, value in item.items():
                if name.startswith("U_") and name not in company.udfs.get("Item", {}):
                    company.declare_udf("Item", name, type=_udf_type(value))
            for row in item.get("ItemWarehouseInfoCollection") or []:
                for name, value in row.items():
                    if name.startswith("U_") and name not in company.udfs.get("ItemWarehouseInfo", {}):
                        company.declare_udf("ItemWarehouseInfo", name, type=_udf_type(value))
                code = row["WarehouseCode"]
                if code not in company.warehouses:
                    company.add_warehouse({"WarehouseCode": code, "WarehouseName": f"Warehouse {code}"})
            for price in item.get("ItemPrices") or []:
                number = price["PriceList"]
                if number not in company.price_lists:
                    company.add_price_list({"PriceListNo": number, "PriceListName": f"List {number}"})
        known = metadata().properties("Item")
        return [company.add_item({k: v for k, v in item.items() if k in known or k.startswith("U_")}) for item in items]
