"""The payment gateway contract: what every card provider offers the payments service.

A dealer pays on the provider's hosted 3-D Secure page; the portal never sees a card number (PCI DSS SAQ A). The
flow is the same for every provider:

1. ``start(checkout)``: the provider prepares a payment for our ``reference`` and gives the URL of its hosted
   page, where the portal redirects the dealer.
2. The provider sends the dealer back (and, for some, calls us server to server) with the outcome.
   ``finish(params, body)`` verifies what arrived — the provider's signature, checked in constant time, and for
   providers that need it a completion call — and returns the provider's verified ``Outcome``. Anything that does
   not verify raises ``CallbackRejected``; nothing is changed then.
3. ``status(...)`` asks the provider later about a payment whose outcome never came (the dealer closed the tab).
4. ``refund(...)`` returns all or part of a succeeded payment, under the portal's ``reference`` for that refund.
5. ``refund_status(...)`` asks the provider later what became of a refund whose answer never arrived (a timeout,
   a crash before the answer was recorded): found under its reference (succeeded or failed), or not found.

The payments service (``payments.services``) applies an outcome once per provider payment id, checks amount and
currency against what it asked for, and moves orders and the ERP on.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar


class GatewayError(Exception):
    """The provider could not be reached or refused the request; ``retryable`` when trying later may help."""

    def __init__(self, message: str, *, retryable: bool = False, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code


class CallbackRejected(Exception):
    """What came back does not verify: bad or missing signature, tampered values, unknown payment, replay."""


class OutcomeStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Buyer:
    """Who pays, as providers want it for fraud checks. Never card data."""

    code: str
    name: str
    email: str = ""
    phone: str = ""
    tax_number: str = ""
    city: str = ""
    address: str = ""
    country: str = "Turkey"
    ip: str = ""


@dataclass(frozen=True, slots=True)
class Checkout:
    """A payment to prepare. ``reference`` is the portal's own id for it (``Payment.reference``), which the
    provider carries through and sends back."""

    reference: str
    amount: Decimal
    currency: str
    description: str
    buyer: Buyer
    return_url: str
    locale: str = "tr"


@dataclass(frozen=True, slots=True)
class Redirect:
    """Where to send the dealer's browser; ``token`` the provider's handle for the prepared payment."""

    url: str
    token: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The provider's verified word on a payment."""

    reference: str
    status: OutcomeStatus
    provider_payment_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    reason: str = ""
    commission: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    provider_refund_id: str
    amount: Decimal


class RefundState(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_FOUND = "not_found"  # the provider holds no refund under this reference


@dataclass(frozen=True, slots=True)
class RefundCheck:
    """The provider's word on one refund, found by the portal's reference."""

    state: RefundState
    provider_refund_id: str = ""
    amount: Decimal | None = None
    reason: str = ""


class PaymentGateway(abc.ABC):
    """Base class of every card provider. ``settings`` come from ``PAYMENT_GATEWAYS[key]["settings"]``; secrets
    from the environment (see ``payments.gateways.gateway_for``)."""

    key: ClassVar[str] = ""
    label: ClassVar[str] = ""
    # True when the provider makes a refund once per reference, however often it is sent: then a refund the provider
    # does not know may be sent again under the same reference.
    refunds_idempotent: ClassVar[bool] = False

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        self.settings = dict(settings or {})

    @abc.abstractmethod
    def start(self, checkout: Checkout) -> Redirect:
        """Prepare the payment with the provider; raises ``GatewayError``."""

    @abc.abstractmethod
    def finish(self, params: Mapping[str, str], body: bytes) -> Outcome:
        """Verify the provider's return or callback (``params``: its form or query fields, ``body`` the raw
        request body) and return the verified outcome; raises ``CallbackRejected`` or ``GatewayError``."""

    @abc.abstractmethod
    def status(self, reference: str, provider_payment_id: str = "") -> Outcome:
        """Ask the provider about a payment; raises ``GatewayError``."""

    @abc.abstractmethod
    def refund(self, *, provider_payment_id: str, amount: Decimal, currency: str, reference: str) -> RefundResult:
        """Refund ``amount`` of a succeeded payment; ``reference`` is the portal's id of this refund. Raises
        ``GatewayError``."""

    def refund_status(self, *, provider_payment_id: str, reference: str) -> RefundCheck:
        """What the provider knows of the refund sent under ``reference`` for the payment. Raises
        ``GatewayError`` when the provider cannot be asked (a provider without such a query says so)."""
        raise GatewayError(f"{self.key or type(self).__name__} cannot be asked about a refund.", code="unsupported")
