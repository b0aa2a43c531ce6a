"""Signing in with an e-mail address and password."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts.models import User


class EmailBackend(ModelBackend):
    """Django's ``ModelBackend``, with two differences at sign-in:

    - a deactivated user whose password is right is returned, so the sign-in form can say the account is
      deactivated (``EmailAuthenticationForm.confirm_login_allowed`` refuses them) — only to someone who knows the
      password; a wrong password gets the same answer whether the account is active or not;
    - wrong credentials stop the other backends (``PermissionDenied``): ``ModelBackend`` stays listed after this one
      only so that sessions opened through it stay valid, and must not hash the password a second time.

    Sessions are restored as by ``ModelBackend``: never for a deactivated user (``get_user``)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            User().set_password(password)  # the same work as for a known address: timing tells nothing
            raise PermissionDenied from None
        if not user.check_password(password):
            raise PermissionDenied
        return user
