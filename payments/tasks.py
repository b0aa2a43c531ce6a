"""Background work for payments (django-q2), installed as schedules after ``migrate`` (see ``apps.py``)."""

from __future__ import annotations

from django.utils import timezone

from b2bportal.schedules import schedules_ensure
from payments.matching import statement_match
from payments.models import PaymentLink
from payments.services import payment_check_pending, refund_check_pending

SCHEDULES = {
    # name: (function, minutes)
    "payments:pending": ("payments.tasks.payments_check_pending", 5),
    "payments:refunds": ("payments.tasks.refunds_check_pending", 5),
    "payments:links": ("payments.tasks.payment_links_expire", 60),
    "payments:match": ("payments.tasks.bank_match", 15),
}


def payments_check_pending() -> int:
    """Ask the providers about card payments whose outcome never arrived."""

    return payment_check_pending()


def refunds_check_pending() -> int:
    """Ask the providers about card refunds whose answer never arrived or was never recorded."""

    return refund_check_pending()


def payment_links_expire() -> int:
    """Mark links past their date as expired, so the admin shows what dealers can still use."""

    return PaymentLink.objects.filter(status=PaymentLink.Status.ACTIVE, expires_at__lte=timezone.now()).update(
        status=PaymentLink.Status.EXPIRED
    )


def bank_match() -> int:
    """Match what imported statements left unmatched (new dealers, IBANs and invoices arrive meanwhile)."""

    return statement_match().allocated


def schedules_install(**_kwargs) -> None:
    """Create the payments schedules that are missing (``post_migrate``); staff may change their timing."""
    schedules_ensure(SCHEDULES)
