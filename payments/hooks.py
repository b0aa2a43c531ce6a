"""What payments tell the layers above them, inside the caller's transaction (see ``b2bportal.hooks``).

``erpsync`` connects the handlers at start-up: every collection (a settled card payment, a matched bank transfer)
is queued for the ERP as a receipt on the dealer's account, every refund as a credit memo — in the same transaction
as the money is recorded, so neither can be lost.
"""

from b2bportal.hooks import Hook

collections_recorded = Hook(
    "collections recorded",
    required=True,
    doc=(
        "send(collections=[(identity_key, object_id, payload), …], fresh=bool): receipts for the ERP; ``fresh`` "
        "says every key is new (a bulk insert may be used)."
    ),
)
refund_made = Hook(
    "refund made",
    required=True,
    doc="send(identity_key=…, object_id=…, payload=…): a card refund to post to the ERP as a credit memo.",
)
