"""What the accounts layer asks of the layers above it (see ``b2bportal.hooks``).

- ``access_refused``: why a user may not use the portal although their password is right — their dealer membership
  or their dealer is deactivated; ``dealers`` answers it (accounts cannot read dealers). Sign-in refuses with that
  text, and a signed-in session is ended with it on the next request (``accounts.access``).
"""

from b2bportal.hooks import Hook

access_refused = Hook(
    "access refused",
    doc="first(user=…): the text that tells this user why they may not use the portal and whom to contact, or None.",
)
