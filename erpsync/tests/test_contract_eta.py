"""The adapter contract against an ETA-shaped PostgreSQL database with the shipped (unverified) ETA profile: orders
as transfer files (the default) and written into SIPFIS/SIPHAR in one transaction."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from demo.tests.site import postgres_database, postgres_database_drop, scratch_database_name  # noqa: E402
from erpsync.tests.contract import AdapterContract  # noqa: E402
from erpsync.tests.eta_side import SQL_ORDER_WRITE, EtaDatabase, EtaErpSide  # noqa: E402


@pytest.fixture(scope="module")
def eta_db():
    base = "postgres://postgres@127.0.0.1:5432"
    url = f"{base}/{scratch_database_name('profile_eta')}"
    postgres_database(url)
    db = EtaDatabase(url)
    db.create()
    yield db
    postgres_database_drop(url)


class TestEtaContract(AdapterContract):
    @pytest.fixture(params=["file", "sql"])
    def erp(self, request, eta_db, tmp_path):
        writes = {"order": SQL_ORDER_WRITE} if request.param == "sql" else {}
        yield EtaErpSide(eta_db, tmp_path / "eta-transfer", **writes)
        eta_db.allow_connections(True)
