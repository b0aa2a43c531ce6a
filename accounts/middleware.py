from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.utils import translation

from accounts.access import access_refusal
from accounts.models import User


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over the browser's; anonymous visitors get the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class DeactivatedSignOutMiddleware:
    """Ends the session of a user deactivated since they signed in (themselves, their dealer membership or their
    dealer: ``accounts.access``), with a message saying so and whom to contact. The request goes on signed out, so
    a page asks for sign-in (where the message shows) and the API answers 401, instead of a 403 on every page.

    A deactivated user's session comes back anonymous (the backends' ``get_user`` refuses them) while it still names
    them: that case is looked up once, then the session is flushed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None:
            refusal = None
            if user.is_authenticated:
                refusal = access_refusal(user)
            elif SESSION_KEY in request.session:
                stale = User.objects.filter(pk=request.session[SESSION_KEY], is_active=False).first()
                refusal = access_refusal(stale) if stale is not None else None
            if refusal:
                logout(request)
                messages.error(request, refusal)
        return self.get_response(request)
