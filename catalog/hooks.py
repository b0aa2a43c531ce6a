"""What the catalog asks of the layers above it (see ``b2bportal.hooks``).

- ``live_stock_refresh``: ask the ERP for these products' stock now and store it in their stock rows, so that
  ``catalog.availability`` decides on the freshest figures; ``erpsync`` answers when the default connection
  offers live stock (a read-only SQL check or the adapter's live call). Nothing answering, or the ERP failing,
  leaves the synced figures.
- ``erp_bound``: which of these records the ERP's sync owns (bound to an ERP record): staff imports leave them
  alone. Nothing answering: none.
"""

from b2bportal.hooks import Hook

live_stock_refresh = Hook(
    "live stock refresh",
    doc="first(products=[…]): b2bportal.live.Freshness of the stock rows of these products (None: nothing asked).",
)

erp_bound = Hook(
    "erp bound",
    doc="first(entity=…, ids=[…]): the set of these portal ids bound to an ERP record of that entity.",
)
