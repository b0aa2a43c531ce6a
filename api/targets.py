"""Where webhooks may be sent: public HTTPS addresses only. A webhook makes the portal's server call an address
a dealer typed, so an address inside the company's network (loopback, private, link-local — cloud metadata —,
shared, reserved) would let a dealer reach servers no outsider should. ``B2B_WEBHOOK_ALLOW_PRIVATE`` lets a test
or an intranet installation use such addresses, and plain HTTP to them.

Checked when an endpoint is registered and again before every delivery, on the addresses the name resolves to
then (a name may point elsewhere later).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class TargetRefused(ValidationError):
    """The address may not receive webhooks; the message says why."""


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise TargetRefused(_("The address's host name cannot be resolved.")) from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def _public(address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def target_check(url: str) -> None:
    """Refuse (``TargetRefused``) an address that is not HTTPS or that resolves to a non-public address, unless
    ``B2B_WEBHOOK_ALLOW_PRIVATE`` allows loopback and private ones (and plain HTTP to them)."""
    parts = urlsplit((url or "").strip())
    allow_private = settings.B2B_WEBHOOK_ALLOW_PRIVATE
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused(_("Enter an https:// address."))
    if parts.username or parts.password:
        raise TargetRefused(_("The address may not carry a user name or password."))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = _addresses(parts.hostname, port)
    private = [a for a in addresses if not _public(a)]
    if private and not allow_private:
        raise TargetRefused(_("The address points into a private network; webhooks go to public addresses only."))
    if parts.scheme != "https" and not (allow_private and private):
        raise TargetRefused(_("Enter an https:// address."))
