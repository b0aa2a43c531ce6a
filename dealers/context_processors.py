from dealers.access import dealer_user_for


def current_dealer(request):
    """The signed-in user's dealer membership, for the layout (dealer name in the header)."""
    user = getattr(request, "user", None)
    return {"current_dealer_user": dealer_user_for(user) if user is not None else None}
