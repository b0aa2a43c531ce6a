"""Customers' IBANs from the ERP become the dealers' (source ERP) for bank matching, on PostgreSQL and on SQLite: an
IBAN the portal knows is left as it is, a mistyped one is an issue while the dealer still comes in."""

from __future__ import annotations

import pytest

from b2bportal.tests.sqlite_run import sqlite_database, sqlite_script
from dealers.models import Dealer, DealerIban
from erpsync.adapters.base import ErpCustomer
from erpsync.importers import sync_import

GOOD, OTHER = "TR330006100519786457841326", "TR320010009999901234567890"


def customer(code: str, tax_number: str, *ibans: str) -> ErpCustomer:
    return ErpCustomer(code=code, title=f"Bayi {code}", tax_number=tax_number, ibans=ibans)


@pytest.mark.django_db
def test_ibans_land_once_and_a_known_one_keeps_its_dealer(memory_erp):
    memory_erp.publish(
        "customer",
        [
            customer("C1", "1234567890", "TR33 0006 1005 1978 6457 8413 26"),
            customer("C2", "1111111114", OTHER, "TR12 3456"),
        ],
    )
    first = sync_import(connection=memory_erp.connection, entity="customer")
    memory_erp.publish("customer", [customer("C1", "1234567890", GOOD), customer("C2", "1111111114", GOOD)])
    sync_import(connection=memory_erp.connection, entity="customer")

    c1, c2 = Dealer.objects.get(code="C1"), Dealer.objects.get(code="C2")
    assert list(DealerIban.objects.filter(iban=GOOD).values_list("dealer", "source")) == [(c1.pk, "erp")]
    assert list(c2.ibans.values_list("iban", flat=True)) == [OTHER]
    assert (first.failed, [i.code for i in first.issues.all()]) == (1, ["invalid_iban"])


def test_ibans_land_on_sqlite(tmp_path):
    database = sqlite_database(tmp_path)
    result = sqlite_script(
        database,
        f"""
        import json
        from django.conf import settings
        settings.ERPSYNC_ADAPTERS = {{**settings.ERPSYNC_ADAPTERS, "memory": "erpsync.tests.memory.MemoryAdapter"}}
        from erpsync.adapters.base import ErpCustomer
        from erpsync.importers import sync_import
        from erpsync.models import ErpConnection
        from erpsync.tests import memory
        from dealers.models import DealerIban
        erp = memory.ERPS.setdefault("default", memory.MemoryErp())
        erp.connection = ErpConnection.objects.create(code="mem", name="Memory", adapter="memory", is_default=True)
        for _ in range(2):
            erp.publish("customer", [ErpCustomer(code="C1", title="Bayi", tax_number="1234567890",
                                                 ibans=("{GOOD}",))])
            sync_import(connection=erp.connection, entity="customer")
        print(json.dumps(list(DealerIban.objects.values_list("iban", "source"))))
        """,
    )
    assert result == [[GOOD, "erp"]]
