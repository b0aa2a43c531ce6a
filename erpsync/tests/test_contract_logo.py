"""The adapter contract, run against the Logo adapter with the Logo simulator (Logo Objects REST) as the ERP."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.simulators.logo import LogoSimulator  # noqa: E402
from erpsync.tests.contract import AdapterContract  # noqa: E402
from erpsync.tests.logo_side import LogoErpSide  # noqa: E402

pytestmark = pytest.mark.django_db


class TestLogoRestContract(AdapterContract):
    @pytest.fixture
    def erp(self):
        with LogoSimulator() as sim:
            yield LogoErpSide(sim)


class TestLogoRestContractDeleteAndLoginError400(AdapterContract):
    """The same contract where the service answers an expired token 400 with LoginError (versions differ), sends no
    ``expires_in`` and cancellations delete the slip."""

    @pytest.fixture
    def erp(self):
        with LogoSimulator(login_error_status=400, send_expires_in=False) as sim:
            yield LogoErpSide(sim, cancel_mode="delete", reference_field="AUXIL_CODE")


class TestLogoSoapContract(AdapterContract):
    """Orders through the LogoObjectService (``AppendDataObject``, ``DeleteDataObject``) and the reads' SQL through
    its ``ExecQuery``, with a zeep client built from the simulator's WSDL."""

    @pytest.fixture
    def erp(self):
        with LogoSimulator() as sim:
            yield LogoErpSide(sim, write_transport="soap", query_transport="soap")
