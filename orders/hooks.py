"""What orders tell the layers above them, inside the caller's transaction (see ``b2bportal.hooks``).

``erpsync`` connects the handlers at start-up: an approved order is queued for export to the ERP, a cancellation of
an order the ERP may hold is queued for the ERP, and the default connection may choose the stock rule. ``payments``
answers how an order awaiting a bank transfer is paid (accounts, reference, amount).
"""

from b2bportal.hooks import Hook

order_approved = Hook(
    "order approved",
    required=True,
    doc="send(order=…): the order has just moved to APPROVED; the ERP export is queued in the same transaction.",
)
order_cancelling = Hook(
    "order cancelling",
    required=True,
    doc="send(order=…, reason=…): the dealer cancels; the order still has its status before the cancellation.",
)
erp_stock_rule = Hook(
    "ERP stock rule",
    doc="first(): the stock shortfall rule the default ERP connection chooses ('hold', 'backorder'…), or None.",
)
payment_instructions = Hook(
    "payment instructions",
    doc=(
        "first(order=…): how to pay a bank-transfer order — the seller's accounts, the payment reference the bank "
        "matching recognises and the amount still due — or None."
    ),
)
quote_sent = Hook(
    "quote sent",
    doc=(
        "send(quote=…, version=…): a quote version was just sent to the dealer; the ERP export of the quote (where "
        "the connection pushes quotes) is queued in the same transaction."
    ),
)
quote_cancelling = Hook(
    "quote cancelling",
    doc="send(quote=…, reason=…): a quote the ERP may hold as a quote document is cancelled.",
)
order_status_changed = Hook(
    "order status changed",
    doc=(
        "send(order=…, change=…): an order moved (``change`` is its ``OrderStatusChange``), inside the transaction "
        "of the move; the dealer's webhooks are queued with it."
    ),
)
document_issued = Hook(
    "document issued",
    doc=(
        'send(document=…, kind=…, event=…): a delivery note (``kind`` "shipped", with its tracking when known) or '
        'an invoice ("invoiced") the dealer is told of; ``event`` names it once (a late tracking number is a new '
        "event). Sent inside the import's transaction."
    ),
)
