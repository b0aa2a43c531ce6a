"""Adding many catalogue rows at once: the quantity field each row carries, read back from the form, and the rows
that could not be added kept (quantity and reason) until the catalogue page shows them again.

The cart rules themselves are not here: each row goes through the cart service like a single add. Without
JavaScript the form posts and the catalogue comes back after a redirect, so the refused rows travel in the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

FIELD_PREFIX = "qty-"
SESSION_KEY = "catalog:multi_add_kept"
MAX_ROWS = 200  # more than the largest catalogue page (``B2B_CATALOG_PAGE_SIZES``)


def field_name(product_id: int) -> str:
    """The name of a row's quantity field in the "add selected" form."""
    return f"{FIELD_PREFIX}{product_id}"


@dataclass(frozen=True)
class MultiAddRow:
    """One row the buyer filled in: what they typed, and the quantity it means (None when it means none)."""

    product_id: int
    entered: str
    quantity: Decimal | None
    error: str = ""


def multi_add_rows(data) -> list[MultiAddRow]:
    """The rows of ``data`` (a POST) with a quantity entered, in product id order. Empty fields and zero are
    rows not chosen; a quantity that is not a number above zero is a row with an ``error``. At most
    ``MAX_ROWS`` rows are read."""
    rows = []
    for name in data:
        if not name.startswith(FIELD_PREFIX):
            continue
        try:
            product_id = int(name[len(FIELD_PREFIX) :])
        except ValueError:
            continue
        entered = (data.get(name) or "").strip()[:20]
        if not entered or product_id <= 0:
            continue
        try:
            quantity = Decimal(entered.replace(",", "."))
        except InvalidOperation:
            quantity = None
        if quantity is not None and quantity == 0:
            continue
        if quantity is None or not quantity.is_finite() or quantity < 0 or quantity >= Decimal("1e10"):
            rows.append(MultiAddRow(product_id, entered, None, _("Enter a number above zero.")))
        else:
            rows.append(MultiAddRow(product_id, entered, quantity))
    rows.sort(key=lambda row: row.product_id)
    return rows[:MAX_ROWS]


@dataclass(frozen=True)
class KeptRow:
    """A row that was not added: what the buyer had entered, and why it was refused."""

    entered: str
    error: str


def multi_add_keep(session, kept: dict[int, KeptRow]) -> None:
    """Remember the refused rows for the next catalogue page (nothing to remember clears what was there)."""
    if kept:
        session[SESSION_KEY] = {str(pk): [row.entered, row.error] for pk, row in kept.items()}
    else:
        session.pop(SESSION_KEY, None)


def multi_add_kept(session) -> dict[int, KeptRow]:
    """The refused rows remembered for this page, forgotten once read (a reload shows empty fields)."""
    if SESSION_KEY not in session:
        return {}
    stored = session.pop(SESSION_KEY) or {}
    return {int(pk): KeptRow(entered=entered, error=error) for pk, (entered, error) in stored.items()}
