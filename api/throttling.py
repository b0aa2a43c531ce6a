"""Requests per API key: the key's own rate, else ``B2B_API_RATE`` (e.g. "600/min"); a signed-in browser session
counts per user. Past the rate the answer is 429 with ``Retry-After`` (DRF's ``Throttled``)."""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiKey

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour|d|day)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    """(requests, seconds) of "600/min", "20/s", "10000/day"; None when it is not a rate."""
    match = _RATE.match(rate or "")
    if not match or int(match.group(1)) <= 0:
        return None
    return int(match.group(1)), _SECONDS[match.group(2)[0]]


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def __init__(self):  # the rate depends on the request's key: decided in allow_request
        pass

    def parse_rate(self, rate):
        return parse_rate(rate) or (None, None)

    def allow_request(self, request, view):
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        own = api_key.rate if api_key is not None else ""
        # A key's own rate that is not a rate (edited by hand) falls back to the default rather than failing.
        self.rate = own if parse_rate(own) else settings.B2B_API_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.num_requests is None:
            self.rate = None  # the default is checked at start-up (api.checks)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"api:throttle:{ident}"
