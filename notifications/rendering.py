"""Rendering a notice in its recipient's language and locale: the e-mail's subject, text and HTML parts, and the
title shown in the portal's list. Links in e-mails are absolute, on ``B2B_SITE_URL``."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from notifications.kinds import Kind, kind_for
from notifications.models import Notification


def absolute_url(path: str) -> str:
    """``path`` on the portal's public address (``B2B_SITE_URL``); an absolute URL is returned as it is."""
    if not path or path.startswith(("https://", "http://")):
        return path
    return f"{settings.B2B_SITE_URL.rstrip('/')}/{path.lstrip('/')}"


def _context(kind: Kind, notification: Notification) -> dict:
    return {
        **kind.context(notification.params),
        "notification": notification,
        "url": absolute_url(notification.url),
        "site_url": settings.B2B_SITE_URL,
        "preferences_url": absolute_url(reverse("notifications:preferences")),
        "portal_company_name": settings.B2B_COMPANY_NAME,
    }


def _subject(template: str, context: dict) -> str:
    return " ".join(render_to_string(template, context).split())


def title(notification: Notification) -> str:
    """The notice's one-line title in the active language (the portal list speaks the reader's UI language)."""
    try:
        kind = kind_for(notification.kind)
    except LookupError:
        return notification.kind
    return _subject(f"{kind.template}_subject.txt", _context(kind, notification))


def message(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail of a single notice, in the recipient's language and locale."""
    kind = kind_for(notification.kind)
    with translation.override(notification.language or settings.LANGUAGE_CODE):
        context = _context(kind, notification)
        subject = _subject(f"{kind.template}_subject.txt", context)
        text = render_to_string(f"{kind.template}.txt", context)
        html = render_to_string(f"{kind.template}.html", {**context, "subject": subject})
    email = EmailMultiAlternatives(subject, text, to=[notification.email])
    email.attach_alternative(html, "text/html")
    return email


def digest_message(kind: Kind, notifications: Sequence[Notification]) -> EmailMultiAlternatives:
    """One e-mail listing several notices of a digest kind to the same recipient (the first one's language)."""
    first = notifications[0]
    with translation.override(first.language or settings.LANGUAGE_CODE):
        items = [_context(kind, n) for n in notifications]
        context = {
            "items": items,
            "count": len(items),
            "site_url": settings.B2B_SITE_URL,
            "preferences_url": absolute_url(reverse("notifications:preferences")),
            "portal_company_name": settings.B2B_COMPANY_NAME,
        }
        subject = _subject(f"{kind.template}_digest_subject.txt", context)
        text = render_to_string(f"{kind.template}_digest.txt", context)
        html = render_to_string(f"{kind.template}_digest.html", {**context, "subject": subject})
    email = EmailMultiAlternatives(subject, text, to=[first.email])
    email.attach_alternative(html, "text/html")
    return email
