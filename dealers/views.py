from django.shortcuts import render

from dealers.access import dealer_required, scoped
from dealers.credit import credit_position
from dealers.models import DealerAddress
from orders.selectors import order_list_for_dealer_user


@dealer_required
def home(request):
    """The dealer's landing page: who they are, balance and credit as of when, recent orders."""
    dealer_user = request.dealer_user
    dealer = dealer_user.dealer
    recent_orders = order_list_for_dealer_user(dealer_user=dealer_user)[:5]
    return render(
        request,
        "dealers/home.html",
        {"dealer": dealer, "credit": credit_position(dealer), "recent_orders": recent_orders},
    )


@dealer_required
def address_list(request):
    addresses = scoped(DealerAddress.objects.filter(is_active=True), request.dealer_user).order_by(
        "kind", "-is_default", "name"
    )
    return render(request, "dealers/address_list.html", {"addresses": addresses})
