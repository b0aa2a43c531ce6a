"""The adapter contract, run against the SAP RFC adapter with the in-process BAPI simulator as the ERP."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.tests.contract import AdapterContract  # noqa: E402
from erpsync.tests.sap_rfc_side import SapRfcErpSide  # noqa: E402


class TestSapRfcAdapterContract(AdapterContract):
    @pytest.fixture
    def erp(self):
        side = SapRfcErpSide()
        yield side
        side.close()
