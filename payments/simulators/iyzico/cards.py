"""iyzico's published sandbox cards and what each one does, and the checkout form a card is paid on."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

TOKEN_UNKNOWN, FORM_UNFINISHED, PAYMENT_UNKNOWN, REFUND_REFUSED, THREE_DS_FAILED = (
    "5146", "5147", "5148", "5149", "10219",
)  # fmt: skip


@dataclass(frozen=True)
class Card:
    number: str
    label: str
    outcome: str  # "success", "declined" (by the bank, before 3-D Secure) or "3ds_failure"
    association: str
    error_code: str = ""
    error_group: str = ""
    error_message: str = ""
    refundable: bool = True


TEST_CARDS: dict[str, Card] = {
    card.number: card
    for card in (
        Card("5528790000000008", "Halkbank Mastercard — approved", "success", "MASTER_CARD"),
        Card("5890040000000016", "Akbank Mastercard debit — approved", "success", "MASTER_CARD"),
        Card(
            "5406670000000009", "Mastercard — approved, cannot be refunded", "success", "MASTER_CARD", refundable=False
        ),
        Card(
            "4111111111111129",
            "Visa — not sufficient funds",
            "declined",
            "VISA",
            "10051",
            "NOT_SUFFICIENT_FUNDS",
            "Kart limiti yetersiz, yetersiz bakiye",
        ),
        Card(
            "4129111111111111",
            "Visa — do not honour",
            "declined",
            "VISA",
            "10005",
            "DO_NOT_HONOUR",
            "İşlem onaylanmadı",
        ),
        Card(
            "4131111111111117",
            "Visa — 3-D Secure fails (mdStatus 0)",
            "3ds_failure",
            "VISA",
            THREE_DS_FAILED,
            "NOT_AUTHENTICATED",
            "3D Secure doğrulaması başarısız",
        ),
    )
}


@dataclass
class RefundRecord:
    """A refund the simulator made: its ``conversationId`` (the merchant's refund reference), amount and id."""

    conversation_id: str
    amount: Decimal
    tx_id: str
    created: float = field(default_factory=time.time)


@dataclass
class CheckoutForm:
    """One Checkout Form and what became of it. ``state``: INIT (nobody paid yet), INIT_THREEDS (waiting for the
    3-D Secure code), SUCCESS, FAILURE."""

    token: str
    conversation_id: str
    basket_id: str
    price: Decimal
    paid_price: Decimal
    currency: str
    callback_url: str
    locale: str
    item_ids: list[str]
    state: str = "INIT"
    payment_id: str = ""
    card: Card | None = None
    bin_number: str = ""
    last_four: str = ""
    md_status: str = ""
    error: tuple[str, str, str] = ("", "", "")
    auth_code: str = ""
    refunds: list[RefundRecord] = field(default_factory=list)
    created: float = field(default_factory=time.time)
