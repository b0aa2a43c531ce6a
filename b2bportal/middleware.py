"""Request and response guards every page passes through (``MIDDLEWARE`` in the settings).

- ``RequestGuardMiddleware``: a NUL byte in the address or the query string (no browser sends one; PostgreSQL
  refuses it in a query) is answered 400 before any view runs.
- ``SecurityHeadersMiddleware``: the Content-Security-Policy (``B2B_CONTENT_SECURITY_POLICY``: scripts only from
  the portal's own static files, no inline script), the Permissions-Policy (``B2B_PERMISSIONS_POLICY``),
  ``Cache-Control: no-store`` on every page and download the portal renders (they carry account data; static
  files are served before this middleware and keep their long cache), and no ``Server`` header.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.utils.cache import patch_cache_control


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            return HttpResponseBadRequest("Bad request.", content_type="text/plain")
        return self.get_response(request)


def content_security_policy() -> str:
    """The policy header's value, from ``B2B_CONTENT_SECURITY_POLICY`` (directive → list of sources)."""
    return "; ".join(
        " ".join([directive, *sources]) for directive, sources in settings.B2B_CONTENT_SECURITY_POLICY.items()
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.B2B_CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", content_security_policy())
        if settings.B2B_PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.B2B_PERMISSIONS_POLICY)
        cache_control = response.headers.get("Cache-Control", "")
        if "public" not in cache_control:
            # The view's own max-age/private would let a shared or back-button cache keep account data.
            response.headers.pop("Cache-Control", None)
            response.headers.pop("Expires", None)
            patch_cache_control(response, no_store=True, private=True)
        response.headers.pop("Server", None)
        return response
