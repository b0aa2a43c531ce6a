"""Who is signing in, and from where: the keys the sign-in throttle (django-axes) counts failures under.

- The e-mail is folded exactly as sign-in compares it (``email_key``): ``BUYER@Example.com`` and
  `` buyer@example.com`` are one account, so they share one failure count on the portal and in the admin.
- The client address is the connecting peer's, or, behind ``B2B_PROXY_COUNT`` trusted reverse proxies, the
  address the outermost of them saw (taken from the right of ``X-Forwarded-For``, where a client cannot forge it).
- Besides the lock of one e-mail from one address, one address is refused after ``B2B_SIGNIN_IP_FAILURE_LIMIT``
  failures over any e-mails in the cool-off time (password spraying).
- Password-reset e-mails are limited per address and per client (``password_reset_allowed``); the counters live in
  the cache (shared by every web process when REDIS_URL is set).
"""

from __future__ import annotations

import hashlib

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from accounts.models import email_key


def axes_username(request, credentials: dict | None) -> str:
    """The failure-count key of a sign-in attempt: the e-mail as sign-in folds it."""
    value = None
    if credentials:
        value = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    if value is None and request is not None:
        value = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    return email_key(str(value or ""))


def client_ip(request) -> str:
    """The client's address. With ``B2B_PROXY_COUNT = n`` the n-th address from the right of X-Forwarded-For
    (each trusted proxy appends the address it received from); the peer's address otherwise or when the header
    has fewer entries than trusted proxies."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.B2B_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    return forwarded[-count]


def ip_failures(ip_address: str) -> int:
    """Failed sign-ins from one address over every e-mail, within the cool-off time."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return total or 0


class SignInHandler(AxesDatabaseHandler):
    """django-axes' database handler, also refusing an address that has failed too often over many e-mails."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return self._address_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is not None and not getattr(request, "axes_locked_out", False) and self._address_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=axes_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    @staticmethod
    def _address_locked(request) -> bool:
        ip_address = getattr(request, "axes_ip_address", None) or client_ip(request)
        return ip_failures(ip_address) >= settings.B2B_SIGNIN_IP_FAILURE_LIMIT


RESET_WINDOW_SECONDS = 60 * 60


def _count(key: str) -> int:
    """Adds one to a counter that lives for the reset window from its first use; the new count."""
    cache.add(key, 0, RESET_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RESET_WINDOW_SECONDS)
        return 1


def password_reset_allowed(request, email: str) -> bool:
    """Whether a password-reset e-mail may go out for this request: at most ``B2B_PASSWORD_RESET_PER_EMAIL`` per
    address and ``B2B_PASSWORD_RESET_PER_IP`` per client address in an hour. Every request counts, so a flood
    from one address cannot go on by varying the e-mail, nor reach one mailbox from many addresses."""
    digest = hashlib.sha256(email_key(email).encode()).hexdigest()
    per_email = _count(f"b2b:password-reset:email:{digest}")
    per_ip = _count(f"b2b:password-reset:ip:{client_ip(request)}")
    return per_email <= settings.B2B_PASSWORD_RESET_PER_EMAIL and per_ip <= settings.B2B_PASSWORD_RESET_PER_IP
