from django.core.paginator import Paginator
from django.shortcuts import render

from dealers.access import dealer_required
from orders.selectors import order_get_for_dealer_user, order_list_for_dealer_user


@dealer_required
def order_list(request):
    page = Paginator(order_list_for_dealer_user(dealer_user=request.dealer_user), 25).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"page": page})


@dealer_required
def order_detail(request, number: str):
    order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    return render(request, "orders/order_detail.html", {"order": order})
