"""Secrets for outside systems (ERP connections, payment providers): named by a reference, read from the
environment, never stored in the database or in settings files."""

from __future__ import annotations

import os


def credentials_for(credentials_ref: str) -> dict[str, str]:
    """What ``credentials_ref`` names: the environment variables starting with ``<ref>_``, keyed by the rest of
    their name in lower case (``ERP_MAIN_PASSWORD`` → ``password``). An empty reference names nothing."""
    if not credentials_ref:
        return {}
    prefix = credentials_ref.upper().rstrip("_") + "_"
    return {name[len(prefix) :].lower(): value for name, value in os.environ.items() if name.startswith(prefix)}
