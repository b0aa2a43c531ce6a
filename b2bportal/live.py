"""Which figures a page shows: asked of the ERP just now, or the synced ones with their *as of* time.

The domain apps ask the ERP for live figures through their hooks (``catalog.hooks``, ``dealers.hooks``); the
answer says which figures they got, so the page can say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Freshness:
    """``live``: the figures were read from the ERP at ``as_of`` (``source``: ``sql`` for a read-only SQL check,
    ``api`` for the adapter's live call). Otherwise the synced figures stand; ``reason`` says why (for staff)."""

    live: bool
    as_of: datetime | None = None
    source: str = ""
    reason: str = ""


SYNCED = Freshness(live=False)
