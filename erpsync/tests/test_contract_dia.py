"""The adapter contract, run against the DİA adapter with the DİA simulator as the ERP."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.simulators.dia import DiaSimulator  # noqa: E402
from erpsync.tests.contract import AdapterContract  # noqa: E402
from erpsync.tests.dia_side import DiaErpSide  # noqa: E402

pytestmark = pytest.mark.django_db


class TestDiaContract(AdapterContract):
    @pytest.fixture
    def erp(self):
        with DiaSimulator() as sim:
            yield DiaErpSide(sim)


class TestDiaContractOtherReadings(AdapterContract):
    """The same contract where the tenant reads DİA's open points the other way: lists under ``data``, the code in
    the HTTP status too, an expired session as 401, 10 decimals, the portal's number in ``fisno``, cancellations
    that delete the order, collections as cash receipts."""

    @pytest.fixture
    def erp(self):
        with DiaSimulator(list_key="data", http_status_on_error=True, expired_code="401", decimals=10) as sim:
            yield DiaErpSide(
                sim, order_reference_field="fisno", cancel_mode="delete", collection_service="kasaislemleri"
            )
