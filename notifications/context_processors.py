from django.utils.functional import SimpleLazyObject

from notifications.services import unread_count


def unread(request):
    """``notifications_unread``: the signed-in user's unread notices, counted only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(user))}
