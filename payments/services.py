"""Card payments and refunds: start a payment with a gateway, apply the provider's verified outcome once, refund.

- ``payment_start``: a payment for an order awaiting payment, for a payment link, or for invoices / an amount on
  account. Creates the ``Payment`` (pending) and returns the provider's hosted page to redirect to.
- ``payment_finish``: the provider's return or callback. The gateway verifies it (signature, completion call); the
  outcome is applied under a row lock, once per provider payment id: amount and currency must be what was asked,
  a second delivery of the same outcome changes nothing, a different outcome for a finished payment is refused.
  A success allocates the money (to the order or the dealer's account), releases an order awaiting payment for
  shipment, marks a link used, and queues the collection for the ERP in the same transaction.
- ``payment_check_pending``: asks the provider about payments whose outcome never arrived.
- ``payment_refund``: a full or partial refund through the provider, recorded (``Refund``) before the provider is
  called and settled after it answers; the credit memo is queued for the ERP once.
- ``refund_check_pending``: asks the provider about refunds whose answer never arrived or was never recorded.

Every refusal is logged (``payments`` logger) with the payment reference and never with card data.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from b2bportal.company import BankAccount, company_bank_accounts
from b2bportal.money import format_money
from dealers.models import DealerDocument
from orders.models import OrderStatusChange
from orders.services.transitions import order_transition
from orders.status import OrderStatus
from payments.gateways import gateway_for
from payments.gateways.base import (
    Buyer,
    CallbackRejected,
    Checkout,
    GatewayError,
    Outcome,
    OutcomeStatus,
    RefundState,
)
from payments.hooks import collections_recorded, refund_made
from payments.matching import payment_reference
from payments.models import Allocation, Payment, PaymentLink, Refund
from payments.notifications import payment_link_notify
from payments.receivables import invoice_open_amounts, order_amount_due

log = logging.getLogger("payments")
S = Payment.Status
FINAL = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED, S.PARTIALLY_REFUNDED, S.REFUNDED})


class PaymentRefused(Exception):
    """The payment cannot be started or refunded as asked; the message says why, for the person asking."""


@dataclass(frozen=True)
class Started:
    payment: Payment
    redirect_url: str


def _buyer(dealer, ip: str) -> Buyer:
    address = dealer.addresses.filter(is_active=True).order_by("-is_default", "pk").first()
    return Buyer(
        code=dealer.code,
        name=dealer.title,
        email=dealer.email,
        phone=dealer.phone,
        tax_number=dealer.tax_number,
        city=address.city if address else "",
        address=address.line1 if address else "",
        ip=ip,
    )


@dataclass(frozen=True)
class BankTransferInstructions:
    """How to pay an order by bank transfer: into which accounts, quoting which reference, how much."""

    accounts: list[BankAccount]
    reference: str
    amount_due: Decimal
    currency: str


def bank_transfer_instructions(*, order) -> BankTransferInstructions | None:
    """For a bank-transfer order awaiting payment: the seller's accounts (``B2B_COMPANY_IBAN``), the reference the
    bank matching recognises (``payments.matching.payment_reference``) and what is still due; otherwise None.
    Answers ``orders.hooks.payment_instructions``."""
    if order.payment_method != order.PaymentMethod.BANK_TRANSFER or order.status != OrderStatus.AWAITING_PAYMENT:
        return None
    return BankTransferInstructions(
        accounts=company_bank_accounts(),
        reference=payment_reference(order),
        amount_due=order_amount_due(order),
        currency=order.currency,
    )


def payment_start(
    *,
    dealer,
    amount: Decimal | None = None,
    order=None,
    link: PaymentLink | None = None,
    invoice_numbers: list[str] | None = None,
    user=None,
    return_url: str,
    ip: str = "",
    gateway_key: str | None = None,
    locale: str = "tr",
) -> Started:
    """Start a card payment. For an order: the order must await payment and belong to ``dealer``; the amount is
    what is still due. For a link: the link must be active and unexpired; its amount is paid. Otherwise ``amount``
    (positive) goes on account, against ``invoice_numbers`` when given."""
    currency = dealer.currency
    description = _("Payment on account")
    if order is not None:
        if order.dealer_id != dealer.pk:
            raise PaymentRefused(_("This order belongs to another dealer."))
        if order.status != OrderStatus.AWAITING_PAYMENT:
            raise PaymentRefused(_("Order %(number)s is not waiting for a payment.") % {"number": order.number})
        amount, currency = order_amount_due(order), order.currency
        description = _("Order %(number)s") % {"number": order.number}
    elif link is not None:
        if link.dealer_id != dealer.pk:
            raise PaymentRefused(_("This payment link belongs to another dealer."))
        if link.status != PaymentLink.Status.ACTIVE or link.expires_at <= timezone.now():
            raise PaymentRefused(_("This payment link is no longer valid."))
        amount, currency = link.amount, link.currency
        invoice_numbers = list(link.invoice_numbers)
        description = link.description or _("Payment link")
    if amount is None or amount <= 0:
        raise PaymentRefused(_("The amount must be above zero."))
    gateway = gateway_for(gateway_key)
    payment = Payment.objects.create(
        dealer=dealer,
        order=order,
        method=Payment.Method.LINK if link is not None else Payment.Method.CARD,
        gateway=gateway.key,
        amount=amount,
        currency=currency,
        invoice_numbers=list(invoice_numbers or []),
        initiated_by=user if getattr(user, "is_authenticated", False) else None,
        for_link=link,
    )
    checkout = Checkout(
        reference=str(payment.reference),
        amount=amount,
        currency=currency,
        description=str(description),
        buyer=_buyer(dealer, ip),
        return_url=return_url,
        locale=locale,
    )
    try:
        redirect = gateway.start(checkout)
    except GatewayError as exc:
        payment.status, payment.failure_reason = S.FAILED, exc.message[:255]
        payment.save(update_fields=["status", "failure_reason", "updated_at"])
        log.warning("payment %s: the provider refused to start: %s", payment.reference, exc.message)
        raise PaymentRefused(_("The payment provider is not available; please try again later.")) from exc
    payment.status = S.PENDING
    payment.save(update_fields=["status", "updated_at"])
    return Started(payment=payment, redirect_url=redirect.url)


def payment_finish(*, gateway_key: str, params, body: bytes = b"") -> Payment:
    """Verify and apply what the provider sent back. Raises ``CallbackRejected`` (logged) when it does not
    verify or does not fit the payment; nothing changes then."""
    gateway = gateway_for(gateway_key)
    try:
        outcome = gateway.finish(params, body)
    except CallbackRejected as exc:
        log.warning("payment callback from %s rejected: %s", gateway_key, exc)
        raise
    return payment_apply(gateway_key=gateway.key, outcome=outcome)


def payment_apply(*, gateway_key: str, outcome: Outcome) -> Payment:
    """Apply a verified outcome to its payment, once."""
    try:
        with transaction.atomic():
            return _apply(gateway_key, outcome)
    except IntegrityError as exc:  # the provider payment id already belongs to another payment
        log.warning("payment %s: provider id %s is already used", outcome.reference, outcome.provider_payment_id)
        raise CallbackRejected("The provider payment id belongs to another payment.") from exc


def _apply(gateway_key: str, outcome: Outcome) -> Payment:
    try:
        reference = uuid.UUID(str(outcome.reference))
    except ValueError:
        log.warning("payment callback from %s with a malformed reference", gateway_key)
        raise CallbackRejected("No such payment.") from None
    payment = Payment.objects.select_for_update().filter(reference=reference, gateway=gateway_key).first()
    if payment is None:
        log.warning("payment callback from %s for an unknown payment %s", gateway_key, outcome.reference)
        raise CallbackRejected("No such payment.")
    if payment.status in FINAL:
        if payment.provider_payment_id == outcome.provider_payment_id and (
            (outcome.status == OutcomeStatus.SUCCEEDED) == (payment.status != S.FAILED)
        ):
            return payment  # the same outcome again (a second callback, a reload): already applied
        log.warning("payment %s is %s; a different outcome (%s) was refused", payment.reference, payment.status,
                    outcome.status)  # fmt: skip
        raise CallbackRejected("The payment is already settled.")
    if outcome.status == OutcomeStatus.PENDING:
        return payment
    if outcome.amount is None or outcome.amount != payment.amount or outcome.currency != payment.currency:
        log.warning("payment %s: the provider reports %s %s, %s %s was asked", payment.reference, outcome.amount,
                    outcome.currency, payment.amount, payment.currency)  # fmt: skip
        raise CallbackRejected("Amount or currency differ from the payment.")
    payment.provider_payment_id = outcome.provider_payment_id or None
    if outcome.status == OutcomeStatus.FAILED:
        payment.status, payment.failure_reason = S.FAILED, (outcome.reason or _("Declined."))[:255]
        payment.save(update_fields=["status", "failure_reason", "provider_payment_id", "updated_at"])
        log.info("payment %s failed: %s", payment.reference, payment.failure_reason)
        return payment
    payment.status, payment.confirmed_at, payment.commission = S.SUCCEEDED, timezone.now(), outcome.commission
    payment.save(update_fields=["status", "confirmed_at", "commission", "provider_payment_id", "updated_at"])
    _settle(payment)
    return payment


def _settle(payment: Payment) -> None:
    """A succeeded payment: its allocation, the order released, the link used, the collection queued."""
    # One allocation per invoice the payment names, up to what each still owes; the rest to the order or account.
    left = payment.amount
    open_amounts = invoice_open_amounts(payment.dealer, payment.invoice_numbers)
    parts = []
    for number in payment.invoice_numbers:
        share = min(left, open_amounts.get(number, Decimal(0)))
        if share > 0:
            parts.append((number, share))
            left -= share
    if left > 0:
        parts.append(("", left))
    Allocation.objects.bulk_create(
        Allocation(
            dealer=payment.dealer,
            payment=payment,
            order=payment.order,
            invoice_number=number,
            amount=share,
            currency=payment.currency,
            method=Allocation.Method.AUTOMATIC,
            reasons=["card payment"],
        )
        for number, share in parts
    )
    order = payment.order
    if order is not None:
        order.refresh_from_db(fields=["status"])
        if order.status == OrderStatus.AWAITING_PAYMENT and order_amount_due(order) == 0:
            order_transition(
                order=order,
                to_status=OrderStatus.APPROVED,
                source=OrderStatusChange.Source.PAYMENT,
                reason=_("Paid by card (%(amount)s).") % {"amount": format_money(payment.amount, payment.currency)},
            )
    if payment.for_link_id is not None:
        used = PaymentLink.objects.filter(pk=payment.for_link_id, status=PaymentLink.Status.ACTIVE).update(
            status=PaymentLink.Status.USED, payment=payment, used_at=timezone.now()
        )
        if not used:  # paid twice (two tabs): the money stays on the dealer's account, staff see it
            log.warning("payment %s paid link %s, which was no longer active", payment.reference, payment.for_link_id)
    collection = (
        f"payment:{payment.reference}",
        payment.pk,
        {
            "reference": f"PAY-{str(payment.reference)[:8].upper()}",
            "dealer_id": payment.dealer_id,
            "amount": str(payment.amount),
            "currency": payment.currency,
            "received_on": timezone.localdate(payment.confirmed_at).isoformat(),
            "method": "card",
            "description": _("Card payment %(id)s") % {"id": payment.provider_payment_id},
            "order_number": order.number if order is not None else "",
            "invoice_numbers": list(payment.invoice_numbers),
        },
    )
    collections_recorded.send(collections=[collection], fresh=False)
    log.info("payment %s succeeded: %s %s", payment.reference, payment.amount, payment.currency)


def payment_check_pending(*, older_than: timedelta = timedelta(minutes=15)) -> int:
    """Ask the providers about payments still pending after ``older_than`` (the dealer closed the tab, the
    provider's callback was lost) and apply what they say. Returns how many were settled."""
    settled = 0
    cutoff = timezone.now() - older_than
    for payment in Payment.objects.filter(status=S.PENDING, updated_at__lt=cutoff).exclude(gateway=""):
        try:
            outcome = gateway_for(payment.gateway).status(str(payment.reference), payment.provider_payment_id or "")
            if payment_apply(gateway_key=payment.gateway, outcome=outcome).status != S.PENDING:
                settled += 1
        except (GatewayError, CallbackRejected) as exc:
            log.warning("payment %s: status check failed: %s", payment.reference, exc)
    return settled


# Refunds waiting for the provider's answer hold their amount: no other refund may take it meanwhile.
OPEN_REFUNDS = (Refund.Status.REQUESTED, Refund.Status.UNKNOWN)


def payment_refund(*, payment: Payment, amount: Decimal, user=None, reason: str = "") -> Refund:
    """Refund ``amount`` of a succeeded card payment through its provider, in three steps so that money never leaves
    without a record:

    1. a short transaction under the payment's row lock checks what is left to refund (less the refunds still
       waiting for an answer) and commits a ``Refund`` (requested) with the reference the provider will receive;
    2. the provider is called outside any transaction or lock;
    3. its answer is settled in a second short transaction (``_refund_settle``): the payment's refunded amount and
       status, and the credit memo queued for the ERP once (``refund_made``).

    A provider that refuses fails the refund (``PaymentRefused``); one that does not answer leaves it "unknown".
    Either way, and after a crash between 2 and 3, ``refund_check_pending`` asks the provider later under the same
    reference and settles it. Returns the refund."""
    amount = Decimal(amount)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in (S.SUCCEEDED, S.PARTIALLY_REFUNDED):
            raise PaymentRefused(_("Only a succeeded payment can be refunded."))
        waiting = locked.refunds.filter(status__in=OPEN_REFUNDS).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        left = locked.amount - locked.refunded_amount - waiting
        if amount <= 0 or amount > left:
            raise PaymentRefused(
                _("A refund must be above zero and at most %(left)s %(currency)s.")
                % {"left": max(left, Decimal(0)), "currency": locked.currency}
            )
        refund = Refund.objects.create(
            payment=locked,
            amount=amount,
            currency=locked.currency,
            reason=reason[:200],
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            attempts=1,
        )
    log.info("payment %s: refund %s of %s %s requested", payment.reference, refund.reference, amount,
             refund.currency)  # fmt: skip
    return _refund_send(refund, locked)


def _refund_send(refund: Refund, payment: Payment) -> Refund:
    """Call the provider for ``refund`` (outside any transaction) and settle its answer."""
    gateway = gateway_for(payment.gateway)
    try:
        result = gateway.refund(
            provider_payment_id=payment.provider_payment_id or "",
            amount=refund.amount,
            currency=refund.currency,
            reference=str(refund.reference),
        )
    except GatewayError as exc:
        if exc.retryable or exc.code == "answer_mismatch":  # the money may have left: the check asks the provider
            Refund.objects.filter(pk=refund.pk, status=Refund.Status.REQUESTED).update(
                status=Refund.Status.UNKNOWN, error=exc.message[:255], updated_at=timezone.now()
            )
            log.warning("payment %s: refund %s has no answer yet: %s", payment.reference, refund.reference,
                        exc.message)  # fmt: skip
            refund.refresh_from_db()
            return refund
        _refund_fail(refund, exc.message)
        log.warning("payment %s: refund of %s refused: %s", payment.reference, refund.amount, exc.message)
        raise PaymentRefused(_("The provider refused the refund: %(reason)s") % {"reason": exc.message}) from exc
    return _refund_settle(refund, provider_refund_id=result.provider_refund_id)


def _refund_fail(refund: Refund, error: str) -> None:
    Refund.objects.filter(pk=refund.pk, status__in=OPEN_REFUNDS).update(
        status=Refund.Status.FAILED, error=error[:255], settled_at=timezone.now(), updated_at=timezone.now()
    )


def _refund_settle(refund: Refund, *, provider_refund_id: str) -> Refund:
    """The provider made the refund: record it on the payment and queue the credit memo for the ERP (linked to the
    order's invoice when the portal knows it), once — a second settle of the same refund changes nothing."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status == Refund.Status.SUCCEEDED:
            return refund
        refund.status, refund.provider_refund_id = Refund.Status.SUCCEEDED, provider_refund_id[:128]
        refund.error, refund.settled_at = "", timezone.now()
        refund.save(update_fields=["status", "provider_refund_id", "error", "settled_at", "updated_at"])
        payment.refunded_amount += refund.amount
        payment.status = S.REFUNDED if payment.refunded_amount == payment.amount else S.PARTIALLY_REFUNDED
        payment.save(update_fields=["refunded_amount", "status", "updated_at"])
        invoice = ""
        if payment.order_id:
            document = DealerDocument.objects.filter(order_id=payment.order_id, kind="invoice").order_by("-issued_on")
            invoice = document.values_list("number", flat=True).first() or ""
        invoice = invoice or (payment.invoice_numbers[0] if payment.invoice_numbers else "")
        refund_made.send(
            identity_key=f"refund:{refund.provider_refund_id}",
            object_id=payment.pk,
            payload={
                "reference": f"RF-{refund.provider_refund_id}"[:60],
                "dealer_id": payment.dealer_id,
                "amount": str(refund.amount),
                "currency": payment.currency,
                "issued_on": timezone.localdate().isoformat(),
                "invoice_number": invoice,
                "order_number": payment.order.number if payment.order_id else "",
                "reason": refund.reason or _("Card refund"),
            },
        )
    log.info("payment %s: refunded %s %s as %s", payment.reference, refund.amount, payment.currency,
             refund.provider_refund_id)  # fmt: skip
    return refund


def refund_check_pending(
    *, older_than: timedelta = timedelta(minutes=15), give_up_after: timedelta | None = None
) -> int:
    """Ask the providers about refunds still requested or unknown after ``older_than`` (the provider did not answer,
    or the portal stopped before recording its answer) and settle what they say, under each refund's own reference:

    - found and made: settled as if the provider had answered (``_refund_settle``);
    - found and refused: failed;
    - not found: a provider that makes a refund once per reference (``refunds_idempotent``) is sent the refund
      again under the same reference; otherwise the refund waits, and after ``give_up_after``
      (``PAYMENT_REFUND_GIVE_UP_HOURS``, default 48) it is failed for staff to look at in the provider's panel.

    Returns how many were settled (succeeded or failed)."""
    if give_up_after is None:
        give_up_after = timedelta(hours=settings.PAYMENT_REFUND_GIVE_UP_HOURS)
    settled = 0
    now = timezone.now()
    waiting = Refund.objects.filter(status__in=OPEN_REFUNDS, updated_at__lt=now - older_than).select_related("payment")
    for refund in waiting.order_by("pk"):
        payment = refund.payment
        try:
            gateway = gateway_for(payment.gateway)
            check = gateway.refund_status(provider_payment_id=payment.provider_payment_id or "",
                                          reference=str(refund.reference))  # fmt: skip
        except (GatewayError, ImproperlyConfigured) as exc:
            log.warning("refund %s: status check failed: %s", refund.reference, exc)
            continue
        if check.state == RefundState.SUCCEEDED:
            if check.amount is not None and check.amount != refund.amount:
                log.error("refund %s: the provider reports %s, %s was asked; left for staff", refund.reference,
                          check.amount, refund.amount)  # fmt: skip
                continue
            _refund_settle(refund, provider_refund_id=check.provider_refund_id)
            settled += 1
        elif check.state == RefundState.FAILED:
            _refund_fail(refund, check.reason or "Refused by the provider.")
            settled += 1
        elif gateway.refunds_idempotent:
            Refund.objects.filter(pk=refund.pk).update(attempts=F("attempts") + 1, updated_at=timezone.now())
            try:
                if _refund_send(refund, payment).status != Refund.Status.UNKNOWN:
                    settled += 1
            except PaymentRefused:
                settled += 1
        elif now - refund.created_at > give_up_after:
            _refund_fail(refund, "The provider has no record of this refund; check its panel before refunding again.")
            log.error("refund %s: the provider has no record of it after %s; failed", refund.reference, give_up_after)
            settled += 1
        else:
            Refund.objects.filter(pk=refund.pk).update(updated_at=timezone.now())
    return settled


def payment_link_send(*, link: PaymentLink, path: str, again: bool = False) -> bool:
    """Queue the link's e-mail to the dealer's address, in the recipient's language and locale, with the link
    absolute on ``B2B_SITE_URL`` (``payments.notifications``). It goes when the transaction commits and is retried
    while the mail server is down; staff see its delivery under Notifications. Returns False (and logs) when the
    dealer has no e-mail address."""
    if payment_link_notify(link=link, path=path, again=again):
        return True
    log.warning("payment link %s: dealer %s has no e-mail address", link.pk, link.dealer.code)
    return False
