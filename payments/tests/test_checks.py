"""The system check of the card payment configuration."""

from __future__ import annotations

from payments.checks import check_payment_gateways


def test_the_configured_gateways_pass(settings):
    assert check_payment_gateways() == []


def test_a_gateway_that_does_not_import_or_is_not_a_gateway_is_reported(settings):
    settings.PAYMENT_GATEWAYS = {
        **settings.PAYMENT_GATEWAYS,
        "typo": {"class": "payments.gateways.sandboxx.SandboxGateway"},
        "wrong": {"class": "payments.models.Payment"},
        "empty": {"settings": {}},
    }
    found = {m.id: m.msg for m in check_payment_gateways()}
    assert set(found) == {"payments.E001", "payments.E002", "payments.E003"}
    assert found["payments.E001"] == "PAYMENT_GATEWAYS['empty'] names no 'class'."
    assert "'typo'" in found["payments.E002"] and "cannot be imported" in found["payments.E002"]
    assert (
        found["payments.E003"] == "PAYMENT_GATEWAYS['wrong'] class 'payments.models.Payment' is not a PaymentGateway."
    )
