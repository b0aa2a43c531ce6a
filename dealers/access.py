"""The one way dealer users reach data: everything they see is scoped to their own dealer here.

Views never filter by dealer themselves; they call ``scoped`` or ``get_scoped_or_404``. A model that is
not registered in ``DEALER_PATHS`` cannot be scoped, so it cannot be shown to a dealer by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from b2bportal.company import company_contact
from dealers.models import Dealer, DealerUser

# model label → lookup from that model to its owning Dealer
DEALER_PATHS: dict[str, str] = {
    "dealers.dealer": "pk",
    "dealers.dealeraddress": "dealer",
    "dealers.dealeruser": "dealer",
    "dealers.dealerinvitation": "dealer_user__dealer",
    "dealers.dealeriban": "dealer",
    "dealers.dealerdocument": "dealer",
    "dealers.accountentry": "dealer",
    "orders.cart": "dealer",
    "orders.cartline": "cart__dealer",
    "orders.order": "dealer",
    "orders.orderline": "order__dealer",
    "orders.orderstatuschange": "order__dealer",
    "orders.quote": "dealer",
    "orders.quoteversion": "quote__dealer",
    "orders.quoteline": "version__quote__dealer",
    "orders.quoteevent": "quote__dealer",
    "orders.recurringorder": "dealer",
    "orders.recurringrun": "recurring__dealer",
    "orders.dealeritemcode": "dealer",
    "orders.edimessage": "dealer",
    "payments.payment": "dealer",
    "payments.paymentlink": "dealer",
    "payments.allocation": "dealer",
    "catalog.dealeragreement": "dealer",
    "catalog.stockalert": "dealer",
}


def register_dealer_path(label: str, path: str) -> None:
    """Let a higher app scope its own dealer-owned model (called from its ``AppConfig.ready``); a label registered
    with another path is a configuration error, never silently replaced."""
    current = DEALER_PATHS.setdefault(label, path)
    if current != path:
        raise ImproperlyConfigured(f"{label} is registered in dealers.access.DEALER_PATHS as {current!r}")


def _membership(user) -> DealerUser | None:
    """The user's dealer membership, active or not, with its dealer (one query, remembered on the user object)."""
    cached = getattr(user, "_dealer_membership_cache", False)
    if cached is False:
        cached = (
            DealerUser.objects.select_related(
                "user", "dealer", "dealer__price_list", "dealer__payment_terms", "dealer__sales_rep"
            )
            .filter(user=user)
            .first()
        )
        user._dealer_membership_cache = cached
    return cached


def dealer_user_for(user) -> DealerUser | None:
    """The active dealer membership of a signed-in user whose dealer is not inactive, else None."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_dealer_user_cache", False)
    if cached is not False:
        return cached
    membership = _membership(user)
    if membership is not None and _refusal_code(membership) is not None:
        membership = None
    user._dealer_user_cache = membership
    return membership


@dataclass(frozen=True)
class Refusal:
    """Why a dealer user may not use the portal: ``code`` for machines (the API's problem code), ``message`` for
    the person, saying whom to contact."""

    code: str
    message: str


USER_DEACTIVATED = "user_deactivated"
DEALER_DEACTIVATED = "dealer_deactivated"


def _admins_contact(membership: DealerUser) -> str:
    admins = (
        DealerUser.objects.filter(
            dealer_id=membership.dealer_id, role=DealerUser.Role.ADMIN, is_active=True, user__is_active=True
        )
        .exclude(pk=membership.pk)
        .select_related("user")
        .order_by("pk")[:3]
    )
    return ", ".join(f"{admin.user.get_full_name()} <{admin.user.email}>" for admin in admins)


def _dealer_contact(dealer: Dealer) -> str:
    rep = dealer.sales_rep
    if rep is not None and rep.is_active and rep.email:
        return f"{rep.name} <{rep.email}>"
    return company_contact()


def _refusal_code(membership: DealerUser) -> str | None:
    if membership.dealer.status == Dealer.Status.INACTIVE:
        return DEALER_DEACTIVATED
    if not membership.is_active or not membership.user.is_active:
        return USER_DEACTIVATED
    return None


def membership_refusal(membership: DealerUser) -> Refusal | None:
    """Why ``membership``'s user may not use the portal: their dealer is deactivated (contact the sales
    representative, else the company), or the user or their membership is (contact the dealer's admins, else the
    company). None when they may. Costs no query unless refused."""
    code = _refusal_code(membership)
    dealer = membership.dealer
    if code == DEALER_DEACTIVATED:
        message = _("The dealer account %(dealer)s has been deactivated. Please contact %(contact)s.") % {
            "dealer": dealer.title,
            "contact": _dealer_contact(dealer),
        }
        return Refusal(DEALER_DEACTIVATED, message)
    if code == USER_DEACTIVATED:
        admins = _admins_contact(membership)
        if admins:
            message = _(
                "Your access to the dealer portal for %(dealer)s has been deactivated. Please contact your "
                "company's portal administrator: %(contact)s."
            ) % {"dealer": dealer.title, "contact": admins}
        else:
            message = _(
                "Your access to the dealer portal for %(dealer)s has been deactivated. Please contact %(contact)s."
            ) % {"dealer": dealer.title, "contact": company_contact()}
        return Refusal(USER_DEACTIVATED, message)
    return None


def access_refused(*, user) -> str | None:
    """The ``accounts.hooks.access_refused`` answer for dealer users: the refusal's text, or None. Staff are never
    refused here (their dealer membership only decides the dealer pages), nor users without a membership."""
    if user.is_staff:
        return None
    membership = _membership(user)
    if membership is None:
        return None
    refusal = membership_refusal(membership)
    return refusal.message if refusal else None


def _dealer_path(model: type[Model]) -> str:
    label = model._meta.label_lower
    try:
        return DEALER_PATHS[label]
    except KeyError:
        raise ImproperlyConfigured(f"{label} is not registered in dealers.access.DEALER_PATHS") from None


def scoped(queryset: QuerySet, dealer_user: DealerUser) -> QuerySet:
    """Only the rows that belong to the dealer user's dealer."""
    if dealer_user is None:
        return queryset.none()
    path = _dealer_path(queryset.model)
    return queryset.filter(**{path: dealer_user.dealer_id})


def get_scoped_or_404(queryset_or_model, dealer_user: DealerUser, **lookup):
    """One row of the dealer's own, or 404 — the same answer whether it is another dealer's or missing."""
    queryset = queryset_or_model
    if not isinstance(queryset, QuerySet):
        queryset = queryset._default_manager.all()
    try:
        return scoped(queryset, dealer_user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404("Not found") from None


def dealer_required(view):
    """A view for dealer users: sets ``request.dealer_user``; staff without a dealer go to the admin."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        membership = dealer_user_for(request.user)
        if membership is None:
            if request.user.is_staff:
                return redirect("admin:index")
            raise PermissionDenied("This account is not linked to an active dealer.")
        request.dealer_user = membership
        return view(request, *args, **kwargs)

    return wrapper


def account_required(view):
    """A view of the dealer's account: approvers, dealer admins and buyers allowed to see it."""

    @wraps(view)
    @dealer_required
    def wrapper(request, *args, **kwargs):
        if not request.dealer_user.can_see_account:
            raise PermissionDenied("This user does not see the dealer's account.")
        return view(request, *args, **kwargs)

    return wrapper


def dealer_admin_required(view):
    """A view of the dealer's self-service (its users, proposing addresses): dealer admins only."""

    @wraps(view)
    @dealer_required
    def wrapper(request, *args, **kwargs):
        if request.dealer_user.role != DealerUser.Role.ADMIN:
            raise PermissionDenied("Only the dealer's admins manage its users and addresses.")
        return view(request, *args, **kwargs)

    return wrapper
