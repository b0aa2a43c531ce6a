"""The one way dealer users reach data: everything they see is scoped to their own dealer here.

Views never filter by dealer themselves; they call ``scoped`` or ``get_scoped_or_404``. A model that is
not registered in ``DEALER_PATHS`` cannot be scoped, so it cannot be shown to a dealer by mistake.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import redirect

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


def dealer_user_for(user) -> DealerUser | None:
    """The active dealer membership of a signed-in user whose dealer is not inactive, else None."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_dealer_user_cache", False)
    if cached is not False:
        return cached
    membership = (
        DealerUser.objects.select_related("dealer", "dealer__price_list", "dealer__payment_terms", "dealer__sales_rep")
        .filter(user=user, is_active=True)
        .exclude(dealer__status=Dealer.Status.INACTIVE)
        .first()
    )
    user._dealer_user_cache = membership
    return membership


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
