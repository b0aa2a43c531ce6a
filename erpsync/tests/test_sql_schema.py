"""The importers' hand-written SQL against the migrated schema: a renamed model, table or column fails here.

Every importer runs over the contract's sample feed twice (a full snapshot, then a dry run). Statements that run
are checked by running them; every statement a merge may run, including the branches this data does not take
(update, deactivate, delete, insert, the dry run's samples), is compiled by PostgreSQL under ``EXPLAIN`` with
the run's own parameters. The dealer audit's bulk form is compiled for every audited field.

The drift check and the reconciliation reports query through the ORM only: their SQL is the ORM's.
"""

import pytest
from django.db import connection
from django.db.utils import ProgrammingError
from django.utils import timezone

from catalog.models import (
    Brand,
    Category,
    DealerAgreement,
    PriceList,
    PriceListItem,
    Product,
    ProductUnit,
    StockLevel,
    Unit,
    Warehouse,
)
from dealers.audit import AUDITED_FIELDS, dealer_changes_record_sql
from dealers.models import AccountEntry, Dealer, DealerAddress, DealerChange
from erpsync.importers import IMPORTERS, sync_import
from erpsync.importers.bulk import TableMerge
from erpsync.models import SyncRun
from erpsync.tests.contract import SAMPLES

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN of DML needs PostgreSQL"),
]

MERGED = {
    Unit,
    Category,
    Brand,
    Warehouse,
    Product,
    ProductUnit,
    StockLevel,
    PriceList,
    PriceListItem,
    Dealer,
    DealerAddress,
    DealerAgreement,
    AccountEntry,
}


def explain(sql: str, params: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)


@pytest.fixture
def compiled_merges(monkeypatch):
    """Every merge the importers run compiles all its statements first; yields the models merged."""
    merged: dict[type, set[str]] = {}
    run = TableMerge.run

    def compile_then_run(self, *, now, dry_run, complete, params=None, sample=3):
        statements = self.statements(complete=True, sample=sample)
        for sql in statements.values():
            explain(sql, {"now": now, **(params or {})})
        merged.setdefault(self.model, set()).update(statements)
        return run(self, now=now, dry_run=dry_run, complete=complete, params=params, sample=sample)

    monkeypatch.setattr(TableMerge, "run", compile_then_run)
    return merged


def test_every_importer_statement_compiles_against_the_schema(memory_erp, compiled_merges):
    for dry_run in (False, True):
        for entity in IMPORTERS:
            memory_erp.publish(entity, list(SAMPLES[entity]), complete=True)
            run = sync_import(connection=memory_erp.connection, entity=entity, full=True, dry_run=dry_run)
            assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL), (entity, run.error)
    assert set(compiled_merges) == MERGED
    # Every merge compiled its writes, whatever the data made it run.
    for model, names in compiled_merges.items():
        assert {"new", "matched", "update", "insert", "sample_updates", "sample_creates"} <= names, model


def test_a_statement_naming_a_missing_column_does_not_compile():
    with pytest.raises(ProgrammingError):
        explain(f"UPDATE {Dealer._meta.db_table} SET no_such_column = 1", {})  # noqa: S608


@pytest.mark.parametrize("field", [*AUDITED_FIELDS, "parent"])
def test_the_bulk_dealer_audit_compiles_for_every_audited_field(field):
    rows = f"(SELECT * FROM {Dealer._meta.db_table})"  # noqa: S608
    dealer_changes_record_sql(
        field=field, rows=rows, source=DealerChange.Source.ERP, reason="schema", now=timezone.now()
    )
    assert not DealerChange.objects.exists()  # no dealer, no change: the statement ran all the same
