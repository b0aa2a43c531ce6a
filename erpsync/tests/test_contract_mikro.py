"""The adapter contract, run against the Mikro adapter with a Mikro-shaped PostgreSQL database as the ERP: v16
(Guid keys) with the order reference in ``sip_belgeno``, stock from ``fn_DepodakiMiktar``; and v15 (RECno keys) with
the reference in ``sip_aciklama`` and stock summed from the movements."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.tests.contract import AdapterContract  # noqa: E402
from erpsync.tests.mikro_side import MikroErpSide, database_for, mikro_databases  # noqa: E402, F401


class TestMikroV16Contract(AdapterContract):
    @pytest.fixture
    def erp(self, mikro_databases):  # noqa: F811
        side = MikroErpSide(database_for(mikro_databases, "v16"))
        yield side
        side.close()


class TestMikroV15Contract(AdapterContract):
    @pytest.fixture
    def erp(self, mikro_databases):  # noqa: F811
        side = MikroErpSide(
            database_for(mikro_databases, "v15"), reference_column="sip_aciklama", stock_source="movements"
        )
        yield side
        side.close()
