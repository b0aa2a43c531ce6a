"""What the dealers layer asks of the layers above it (see ``b2bportal.hooks``).

- ``portal_pending``: the totals of dealers' on-account portal orders that the ERP's figures do not include yet;
  ``orders`` answers it (credit exposure needs it, and dealers cannot read orders).
- ``address_approved`` / ``ship_to_offered``: an approved delivery address goes to the ERP as a ship-to address, and
  whether the ERP connection takes them at all; ``erpsync`` answers both.
- ``dealer_confirmed`` / ``customer_export_offered``: a dealer registered in the portal and confirmed by staff goes to
  the ERP as a new customer account, and whether the ERP connection creates them at all; ``erpsync`` answers both.
- ``live_balance_offered`` / ``live_balance_refresh``: whether the dealer's ERP can tell the balance live, and
  asking it now; ``erpsync`` answers both. A refresh that cannot be done raises ``RefreshRefused``.
- ``live_risk_check``: the dealer's balance and risk read from the ERP now, where the connection checks them live
  (a read-only SQL check), stored with their *as of* time; the answer says whether the figures are live.
"""

from django.utils.translation import gettext_lazy as _

from b2bportal.hooks import Hook

NO_LIVE_BALANCE = _("Your account's figures cannot be refreshed live; they come with the regular sync.")


class RefreshRefused(Exception):
    """A live balance refresh that cannot be done now; the message says why, for the dealer."""


portal_pending = Hook(
    "portal orders pending in the ERP",
    required=True,
    doc="first(dealers=[…]): {dealer id: Decimal} of on-account portal orders the ERP does not include yet.",
)
address_approved = Hook(
    "delivery address approved",
    doc="send(address=…): staff approved a proposed delivery address; erpsync queues it for the ERP as a ship-to.",
)
ship_to_offered = Hook(
    "ship-to addresses offered",
    doc="first(): whether the ERP connection creates a customer's ship-to addresses (None: no ERP answers).",
)
dealer_confirmed = Hook(
    "new dealer confirmed",
    doc="send(dealer=…): staff confirmed a dealer registered in the portal; erpsync queues it for the ERP as a new "
    "customer account (unless the ERP knows it already).",
)
customer_export_offered = Hook(
    "customer accounts offered",
    doc="first(): whether the ERP connection creates new customer accounts (None: no ERP answers).",
)
live_balance_offered = Hook(
    "live balance offered",
    doc="first(dealer=…): whether the dealer's ERP connection can tell the balance live.",
)
live_balance_refresh = Hook(
    "live balance refresh",
    doc="first(dealer=…): ask the ERP for the balance now and store it; raises RefreshRefused.",
)
live_risk_check = Hook(
    "live risk check",
    doc="first(dealer=…): b2bportal.live.Freshness of the dealer's credit figures, refreshed live where offered.",
)
