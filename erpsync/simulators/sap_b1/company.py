"""The in-memory SAP Business One company behind the simulated Service Layer.

Entities are kept as the JSON objects the Service Layer (v1) shows: field names and enum spellings as SAP documents
them (``tYES``/``tNO``, ``bost_Open``/``bost_Close``, ``cCustomer``…), dates as
``'YYYY-MM-DD'`` and times as ``'HH:MM:SS'``. Every write goes through a method of ``Company`` so the business effects
happen in one place:

- an order commits stock (``Committed`` up per warehouse); a delivery based on it takes stock out (``InStock`` and
  ``Committed`` down), lowers the order line's ``RemainingOpenQuantity`` and closes the order when all is delivered;
  ``Cancel``/``Close`` release what is still committed;
- invoices raise, credit notes and incoming payments lower the customer's ``CurrentAccountBalance``; a payment raises
  the invoice's ``PaidToDate`` and closes it when paid in full; a credit note copied from an invoice is applied to
  it the same way (up to what the invoice still owes; the credit note's own ``PaidToDate`` is what it applied, and it
  closes when applied in full), and cancelling the credit note takes that back;
- every change stamps ``UpdateDate``/``UpdateTime`` from ``company.clock`` and bumps the entity's ETag.

Choices where the protocol notes are UNCONFIRMED (each is a flag on ``Company``):

- stock moved by documents does not bump the item's ``UpdateDate`` (``stock_bumps_item_update = False``);
- balance changes do not bump the business partner's ``UpdateDate``;
- a credit note copied from an invoice raises the invoice's ``PaidToDate`` (the internal reconciliation SAP makes);
- incoming payments have no ``UpdateDate``/``UpdateTime`` (the real ``$metadata`` of the Payment type has neither);
- cancelling a delivery, invoice or credit note marks it cancelled (``CancelStatus`` csYes) and adds SAP's
  cancellation document (``CancelStatus`` csCancellation, closed, its lines based on the cancelled document's);
  an order is cancelled in place;
- business-rule refusals answer HTTP 400 with code ``-10`` (``BUSINESS_ERROR``), the generic code the Service Layer
  uses for DI-API messages; -2028 / -2035 / -2039 / 301 are the documented ones.

Not simulated: journal entries, exchange rates (documents take the customer's currency at rate 1), bin locations,
serial-number identity (serial numbers are only counted), freight and rounding rules.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from erpsync.simulators.sap_b1.clock import Clock, clock_time, day
from erpsync.simulators.sap_b1.documents import SalesDocuments
from erpsync.simulators.sap_b1.errors import BAD_REQUEST, B1Error, not_found, refuse
from erpsync.simulators.sap_b1.master_data import MasterData
from erpsync.simulators.sap_b1.metadata import Udf, metadata
from erpsync.simulators.sap_b1.payments import Payments
from erpsync.simulators.sap_b1.schema import DOCUMENT_SETS, ENTITY_SETS, READ_ONLY, address_template


class Company(MasterData, SalesDocuments, Payments):
    """One company database (``CompanyDB``) held in memory; thread-safe through ``lock``.

    The collections are plain dicts keyed like the Service Layer keys them (``items['A0001']``, ``orders[12]``,
    ``special_prices[('C0001', 'A0001')]``). Read them freely in tests; write through the methods.
    """

    def __init__(self, name: str = "SBODEMOTR", *, currency: str = "TRY") -> None:
        self.name = name
        self.currency = currency  # the company's local currency (AdminInfo.LocalCurrency)
        self.system_currency = currency
        # User-defined fields per entity type ("Document", "DocumentLine", "BusinessPartner", "Item" …).
        self.udfs: dict[str, dict[str, Udf]] = {}
        self.clock = Clock()
        self.lock = threading.RLock()
        self.items: dict[str, dict[str, Any]] = {}
        self.warehouses: dict[str, dict[str, Any]] = {}
        self.price_lists: dict[int, dict[str, Any]] = {}
        self.special_prices: dict[tuple[str, str], dict[str, Any]] = {}
        self.uom_groups: dict[int, dict[str, Any]] = {}
        self.uoms: dict[int, dict[str, Any]] = {}
        self.business_partners: dict[str, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.quotations: dict[int, dict[str, Any]] = {}
        self.delivery_notes: dict[int, dict[str, Any]] = {}
        self.invoices: dict[int, dict[str, Any]] = {}
        self.credit_notes: dict[int, dict[str, Any]] = {}
        self.drafts: dict[int, dict[str, Any]] = {}
        self.incoming_payments: dict[int, dict[str, Any]] = {}
        # The company's pictures folder (General Settings → Path → Pictures Folder): file name → bytes. An item's
        # ``Picture`` names a file here; ``ItemImages('code')/$value`` serves it.
        self.pictures: dict[str, bytes] = {}
        # VAT groups with their rate in percent (the Service Layer exposes them as VatGroups; here they only price).
        self.vat_groups: dict[str, float] = {"S0": 0.0, "S1": 20.0, "S2": 10.0, "S3": 1.0}
        self.stock_bumps_item_update = False
        # When set, Orders POST creates a Draft (approval procedure) instead of the order; see ``create``.
        self.approval_required = False
        self._versions: dict[tuple[str, Any], int] = {}
        # Credit note DocEntry → [(invoice DocEntry, amount applied)]: taken back when the credit note is cancelled.
        self._credit_applied: dict[int, list[tuple[int, float]]] = {}
        # Each object type numbers its own DocEntry and DocNum, the way ONNM series do.
        numbered = (*(name for name in DOCUMENT_SETS if name != "Quotations"), "Drafts", "IncomingPayments",
                    "Quotations")  # fmt: skip
        self._doc_entry = dict.fromkeys(numbered, 0)
        self._doc_num = {name: 1000 * (i + 1) for i, name in enumerate(numbered)}

    def declare_udf(
        self, type_name: str, name: str, *, type: str = "Edm.String", mandatory: bool = False, default: Any = None
    ) -> Udf:
        """Add a user-defined field (``U_…``) to an entity type, as a company does in its setup: bodies, ``$select``
        and ``$filter`` may name it from then on; a mandatory one must be given on add."""
        if not name.startswith("U_"):
            raise ValueError("user-defined fields are named U_…")
        metadata().properties(type_name)  # a known type
        udf = Udf(name, type, mandatory, default)
        self.udfs.setdefault(type_name, {})[name] = udf
        return udf

    def set_item_picture(self, item_code: str, file_name: str, data: bytes | None) -> None:
        """What a user does in the item master data: puts ``data`` into the pictures folder as ``file_name`` (None
        leaves the folder alone) and names it as the item's ``Picture`` ("" takes the picture off: B1 then answers
        ``"Picture": null``), which stamps the item like any other change."""
        with self.lock:
            item = self.get("Items", item_code)
            if data is not None:
                self.pictures[file_name] = data
            item["Picture"] = file_name or None
            self.stamp("Items", item_code, item)

    def admin_info(self) -> dict[str, Any]:
        """``CompanyService_GetAdminInfo``: the company's name and its local and system currencies."""
        return {"CompanyName": self.name, "LocalCurrency": self.currency, "SystemCurrency": self.system_currency,
                "Country": "TR"}  # fmt: skip

    # What a failed $batch change set puts back (the lock, the clock and the declared UDFs stay as they are).
    _KEPT = frozenset({"lock", "clock", "udfs", "name"})

    def snapshot(self) -> dict[str, Any]:
        """A copy of everything the company holds (for an atomic ``$batch`` change set); call under ``lock``."""
        return copy.deepcopy({k: v for k, v in self.__dict__.items() if k not in self._KEPT})

    def restore(self, saved: dict[str, Any]) -> None:
        self.__dict__.update(saved)

    def data_version(self, set_name: str, key: Any) -> int:
        return self._versions.get((set_name, key), 0)

    # -- generic access -------------------------------------------------------------------------------------------

    def collection(self, set_name: str) -> dict[Any, dict[str, Any]]:
        return getattr(self, ENTITY_SETS[set_name].attr)

    def get(self, set_name: str, key: Any) -> dict[str, Any]:
        """The entity under ``key`` or a 404 / -2028 error."""
        entity = self.collection(set_name).get(key)
        if entity is None:
            raise not_found()
        return entity

    def etag(self, set_name: str, key: Any) -> str:
        """``W/"<SHA-1 of the entity's DataVersion>"`` in capitals, as recorded v2 answers show it (an item at
        DataVersion 1 carries ``W/"356A192B…"``, the SHA-1 of "1")."""
        version = self._versions.get((set_name, key), 0)
        digest = hashlib.sha1(str(version).encode(), usedforsecurity=False).hexdigest().upper()
        return f'W/"{digest}"'

    def stamp(
        self, set_name: str, key: Any, entity: dict[str, Any], *, created: bool = False, when: datetime | None = None
    ) -> None:
        """Record a change: ``UpdateDate``/``UpdateTime`` from the clock (or ``when``) and a new ETag."""
        now = when.replace(microsecond=0) if when is not None else self.clock.now()
        self._versions[(set_name, key)] = self._versions.get((set_name, key), 0) + 1
        if "UpdateDate" in entity:
            entity["UpdateDate"] = day(now)
            entity["UpdateTime"] = clock_time(now)
        if created:
            if "CreateDate" in entity:
                entity["CreateDate"] = day(now)
                entity["CreateTime"] = clock_time(now)
            if "CreationDate" in entity:
                entity["CreationDate"] = day(now)

    # -- writes from the Service Layer ------------------------------------------------------------------------------

    def create(self, set_name: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create in ``set_name``; returns (the set it landed in, the entity). Orders may land in Drafts."""
        if not isinstance(payload, dict):
            raise B1Error(400, BAD_REQUEST, "The request body must be a JSON object")
        creators: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "Items": self.add_item,
            "Warehouses": self.add_warehouse,
            "PriceLists": self.add_price_list,
            "SpecialPrices": self.add_special_price,
            "UnitOfMeasurementGroups": self.add_uom_group,
            "BusinessPartners": self.add_business_partner,
            "IncomingPayments": self.add_incoming_payment,
        }
        if set_name in creators:
            return set_name, creators[set_name](payload)
        if set_name == "Orders" and self.approval_required:
            return "Drafts", self.add_document("Drafts", payload)
        if set_name in DOCUMENT_SETS:
            return set_name, self.add_document(set_name, payload)
        raise B1Error(405, BAD_REQUEST, f"Creating {set_name} is not supported")

    def patch(self, set_name: str, key: Any, payload: dict[str, Any], *, replace_collections: bool = False) -> None:
        """Update fields of an entity (PATCH). Collections merge by their row key unless ``replace_collections``.

        Refused: read-only fields (numbering, status, computed sums), unknown fields, closed or cancelled documents.
        Order line quantity changes move the committed stock by the difference.
        """
        if not isinstance(payload, dict):
            raise B1Error(400, BAD_REQUEST, "The request body must be a JSON object")
        entity_set = ENTITY_SETS[set_name]
        entity = self.get(set_name, key)
        if not entity_set.patchable:
            raise B1Error(405, BAD_REQUEST, f"Updating {set_name} is not supported")
        metadata().check(entity_set.type_name, payload, self.udfs)
        blocked = sorted((set(payload) & READ_ONLY) | (set(payload) & set(entity_set.keys)))
        if blocked:
            raise refuse(f"Field '{blocked[0]}' cannot be updated")
        if set_name in DOCUMENT_SETS:
            self._patch_document(set_name, entity, payload, replace_collections)
        else:
            changed = {}
            for name, value in payload.items():
                if isinstance(entity.get(name), list):
                    changed[name] = self._patched_rows(set_name, name, entity[name], value, replace_collections)
                else:
                    changed[name] = copy.deepcopy(value)
            if set_name == "BusinessPartners" and "BPAddresses" in changed:
                changed["BPAddresses"] = self._numbered_addresses(entity["CardCode"], changed["BPAddresses"])
            entity.update(changed)  # all of the PATCH or, refused, nothing
            if set_name == "Items":
                self._recount_item(entity)
        self.stamp(set_name, key, entity)

    def _patched_rows(
        self, set_name: str, name: str, rows: list[dict[str, Any]], given: Any, replace: bool
    ) -> list[dict[str, Any]]:
        if not isinstance(given, list):
            raise B1Error(400, BAD_REQUEST, f"Property '{name}' must be a collection")
        if replace:
            return copy.deepcopy(given)
        row_keys = {"ItemPrices": "PriceList", "ItemWarehouseInfoCollection": "WarehouseCode", "BPAddresses": "RowNum"}
        row_key = row_keys.get(name)
        result = copy.deepcopy(rows)
        for change in given:
            # A row without its key is a new row (SAP numbers it), never an update of another new one.
            key = change.get(row_key) if row_key else None
            target = next((row for row in result if key is not None and row.get(row_key) == key), None)
            if target is None:
                result.append(copy.deepcopy(change))
            else:
                target.update(copy.deepcopy(change))
        return result

    @staticmethod
    def _numbered_addresses(card_code: str, addresses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Addresses a PATCH added: SAP fills them in (defaults, ``BPCode``, the next ``RowNum``) and refuses a
        second address of one type under one name, the key ``ShipToCode``/``PayToCode`` name them by (the exact
        error text is not published; this one says what SAP checks)."""
        rows, seen = [], set()
        next_row = 1 + max((row["RowNum"] for row in addresses if row.get("RowNum") is not None), default=-1)
        for given in addresses:
            row = given
            if given.get("RowNum") is None:
                row = address_template()
                row.update(given)
                row["BPCode"], row["RowNum"] = card_code, next_row
                next_row += 1
            if not row.get("AddressName"):
                raise refuse("Enter an address name")
            key = (row["AddressName"], row.get("AddressType") or "bo_BillTo")
            if key in seen:
                raise refuse(f"Address name '{key[0]}' is already used for this address type")
            seen.add(key)
            rows.append(row)
        return rows

    def action(self, set_name: str, key: Any, name: str) -> None:
        entity_set = ENTITY_SETS[set_name]
        entity = self.get(set_name, key)
        if name not in entity_set.actions:
            raise B1Error(400, BAD_REQUEST, f"Action '{name}' is not supported on {set_name}")
        if set_name == "IncomingPayments":
            self.cancel_payment(entity)
        elif name == "Cancel":
            self.cancel_document(set_name, entity)
        elif name == "Close":
            self.close_document(set_name, entity)
        else:
            self.reopen_document(set_name, entity)
