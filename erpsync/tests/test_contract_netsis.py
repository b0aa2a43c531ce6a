"""The adapter contract, run against the Netsis adapter with the Netsis simulator (NetOpenX REST) as the ERP."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.simulators.netsis import NetsisSimulator  # noqa: E402
from erpsync.tests.contract import AdapterContract  # noqa: E402
from erpsync.tests.netsis_side import NetsisErpSide  # noqa: E402

pytestmark = pytest.mark.django_db


class TestNetsisContract(AdapterContract):
    @pytest.fixture
    def erp(self):
        with NetsisSimulator() as sim:
            yield NetsisErpSide(sim)


class TestNetsisContractOtherReadings(AdapterContract):
    """The same contract where the service nests item and account fields (``StokTemelBilgi``/``CariTemelBilgi``),
    names its error text ``ErrorDescription``; the adapter sends document types as numbers, ``dbtype`` 0, takes
    numbers from ``NewNumber`` in a transaction and books collections as fast collection slips."""

    @pytest.fixture
    def erp(self):
        with NetsisSimulator(nested=True, error_key="ErrorDescription") as sim:
            yield NetsisErpSide(sim, type_format="number", db_type="0", numbering="new_number", payment_slip="fastpay")
