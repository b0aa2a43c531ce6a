"""The built-in sandbox provider: a hosted payment page with test cards and a 3-D Secure step, so the whole card
flow works in the demo and in tests with no outside service.

It behaves as a real provider does: it keeps its own record of each charge (``SandboxCharge``), sends the dealer
back with the outcome signed (HMAC-SHA256 with the sandbox secret), and answers status and refund calls from its
record (a refund is made once per reference and can be looked up by it). Its page offers test cards by name only,
so no card number is ever typed into the portal:

- ``success``: approved after the 3-D Secure code;
- ``3ds_failure``: the bank's 3-D Secure check fails;
- ``insufficient_funds``: declined by the bank before 3-D Secure;
- ``timeout``: the bank never answers; the dealer is not sent back and the charge stays pending until a status check
  after ``timeout_minutes`` (default 10) reports it failed.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings as django_settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from payments.gateways.base import (
    CallbackRejected,
    Checkout,
    GatewayError,
    Outcome,
    OutcomeStatus,
    PaymentGateway,
    Redirect,
    RefundCheck,
    RefundResult,
    RefundState,
)
from payments.models import SandboxCharge

THREE_D_SECURE_CODE = "283126"
TEST_CARDS = {
    "success": _("Visa ending in 0002 — approved"),
    "3ds_failure": _("Mastercard ending in 0012 — 3-D Secure fails"),
    "insufficient_funds": _("Visa ending in 0051 — insufficient funds"),
    "timeout": _("Visa ending in 0099 — the bank does not answer"),
}
SIGNED_FIELDS = ("reference", "charge_id", "status", "amount", "currency", "reason")


def sign(fields: Mapping[str, str], secret: str) -> str:
    """The sandbox's signature over the outcome fields, in a fixed order."""
    message = "|".join(str(fields.get(name, "")) for name in SIGNED_FIELDS)
    return salted_hmac("payments.sandbox.outcome", message, secret=secret, algorithm="sha256").hexdigest()


class SandboxGateway(PaymentGateway):
    key = "sandbox"
    label = _("Test payments (sandbox)")
    refunds_idempotent = True

    def __init__(self, settings: Mapping | None = None) -> None:
        super().__init__(settings)
        self.secret = self.settings.get("secret") or django_settings.SECRET_KEY
        self.timeout = timedelta(minutes=float(self.settings.get("timeout_minutes", 10)))

    def start(self, checkout: Checkout) -> Redirect:

        if checkout.amount <= 0:
            raise GatewayError("The amount must be above zero.")
        charge = SandboxCharge.objects.create(
            charge_id="sbx_" + secrets.token_hex(12),
            reference=checkout.reference,
            amount=checkout.amount,
            currency=checkout.currency,
            description=checkout.description[:255],
            return_url=checkout.return_url,
        )
        return Redirect(url=reverse("payments:sandbox_page", args=[charge.charge_id]), token=charge.charge_id)

    # --- the hosted page's steps (the provider's side) ----------------------------------------------------------

    def choose_card(self, charge, card: str) -> str:
        """The dealer picked a test card: returns the next step, "3ds", "waiting" or "done" (declined at once).
        ``card`` must be one of ``TEST_CARDS``."""
        if card not in TEST_CARDS:
            raise ValueError(card)
        charge.card = card
        if card == "insufficient_funds":
            charge.status, charge.reason = charge.Status.FAILED, str(_("Insufficient funds."))
            charge.save(update_fields=["card", "status", "reason", "updated_at"])
            return "done"
        charge.status = charge.Status.PENDING
        charge.save(update_fields=["card", "status", "updated_at"])
        return "waiting" if card == "timeout" else "3ds"

    def confirm_3d_secure(self, charge, code: str) -> None:
        """The bank's 3-D Secure step: the right code with a card that passes it succeeds, anything else fails. A
        charge not waiting for it is left as it is."""
        if charge.status != charge.Status.PENDING or charge.card in ("", "timeout"):
            return
        if charge.card == "3ds_failure" or code.strip() != THREE_D_SECURE_CODE:
            charge.status, charge.reason = charge.Status.FAILED, str(_("3-D Secure verification failed."))
        else:
            charge.status, charge.reason = charge.Status.SUCCEEDED, ""
        charge.save(update_fields=["status", "reason", "updated_at"])

    def outcome_fields(self, charge) -> dict[str, str]:
        """The form the hosted page posts back to the portal, signed."""
        fields = {
            "reference": charge.reference,
            "charge_id": charge.charge_id,
            "status": charge.status,
            "amount": f"{charge.amount:.2f}",
            "currency": charge.currency,
            "reason": charge.reason,
        }
        return {**fields, "signature": sign(fields, self.secret)}

    def finish(self, params: Mapping[str, str], body: bytes) -> Outcome:

        given = params.get("signature", "")
        if not given or not hmac.compare_digest(given, sign(params, self.secret)):
            raise CallbackRejected("The sandbox outcome's signature does not verify.")
        charge = SandboxCharge.objects.filter(charge_id=params.get("charge_id", "")).first()
        if charge is None or charge.reference != params.get("reference"):
            raise CallbackRejected("The sandbox knows no such charge for this reference.")
        # The completion call: the provider's own record decides, not the browser's copy of it.
        if charge.status != params.get("status") or f"{charge.amount:.2f}" != params.get("amount"):
            raise CallbackRejected("The outcome differs from the sandbox's record of the charge.")
        return self._outcome(charge)

    def _outcome(self, charge) -> Outcome:
        status = {
            "succeeded": OutcomeStatus.SUCCEEDED,
            "failed": OutcomeStatus.FAILED,
        }.get(charge.status, OutcomeStatus.PENDING)
        return Outcome(
            reference=charge.reference,
            status=status,
            provider_payment_id=charge.charge_id,
            amount=charge.amount,
            currency=charge.currency,
            reason=charge.reason,
            commission=(charge.amount * Decimal("0.0199")).quantize(Decimal("0.01")) if status == "succeeded" else None,
        )

    def status(self, reference: str, provider_payment_id: str = "") -> Outcome:

        charges = SandboxCharge.objects.filter(reference=reference)
        if provider_payment_id:
            charges = charges.filter(charge_id=provider_payment_id)
        charge = charges.order_by("-created_at", "-id").first()
        if charge is None:
            raise GatewayError(f"The sandbox has no charge for {reference}.")
        if charge.status in ("created", "pending") and timezone.now() - charge.created_at > self.timeout:
            charge.status, charge.reason = "failed", "The bank did not answer in time."
            charge.save(update_fields=["status", "reason", "updated_at"])
        return self._outcome(charge)

    def refund(self, *, provider_payment_id: str, amount: Decimal, currency: str, reference: str) -> RefundResult:
        """A refund under ``reference``, once: the same reference again answers the refund already made (as a
        provider with idempotency keys does) instead of refunding twice."""
        with transaction.atomic():
            charge = SandboxCharge.objects.select_for_update().filter(charge_id=provider_payment_id).first()
            if charge is None or charge.status != "succeeded":
                raise GatewayError(f"Sandbox charge {provider_payment_id} cannot be refunded.")
            try:
                amount = Decimal(amount)
            except (InvalidOperation, TypeError):
                raise GatewayError("The refund amount is not a number.") from None
            done = next((r for r in charge.refunds if r["reference"] == reference), None)
            if done is not None:
                if Decimal(done["amount"]) != amount:
                    raise GatewayError(f"Refund {reference} was made for another amount.")
                return RefundResult(provider_refund_id=done["id"], amount=amount)
            if currency != charge.currency or amount <= 0 or charge.refunded + amount > charge.amount:
                raise GatewayError(f"A refund of {amount} {currency} does not fit charge {charge.charge_id}.")
            refund_id = f"{charge.charge_id}_r{secrets.token_hex(4)}"
            charge.refunded += amount
            charge.refunds = [*charge.refunds, {"reference": reference, "id": refund_id, "amount": str(amount)}]
            charge.save(update_fields=["refunded", "refunds", "updated_at"])
        return RefundResult(provider_refund_id=refund_id, amount=amount)

    def refund_status(self, *, provider_payment_id: str, reference: str) -> RefundCheck:
        charge = SandboxCharge.objects.filter(charge_id=provider_payment_id).first()
        if charge is None:
            raise GatewayError(f"The sandbox has no charge {provider_payment_id}.")
        done = next((r for r in charge.refunds if r["reference"] == reference), None)
        if done is None:
            return RefundCheck(state=RefundState.NOT_FOUND)
        return RefundCheck(state=RefundState.SUCCEEDED, provider_refund_id=done["id"], amount=Decimal(done["amount"]))
