"""The adapter contract against the Nebim Integrator simulator, with the shipped example profile, in both session
modes (token, and a cookieless session in the URL)."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.simulators.nebim import NebimSimulator  # noqa: E402
from erpsync.tests.contract import AdapterContract  # noqa: E402
from erpsync.tests.nebim_side import NebimErpSide  # noqa: E402


class TestNebimContract(AdapterContract):
    @pytest.fixture(params=["token", "session"])
    def erp(self, request):
        with NebimSimulator(mode=request.param) as sim:
            yield NebimErpSide(sim)
