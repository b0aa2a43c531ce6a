"""Where the portal keeps files it must never serve by URL (``PRIVATE_MEDIA_ROOT``).

Django's default storage (``MEDIA_ROOT``, served at ``MEDIA_URL``) holds what any visitor with the address may
fetch: product thumbnails. Originals of product images and product documents go to ``private_storage()``: a
document reaches a dealer only through a view that checks the dealer may see its product.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """A file system storage under ``PRIVATE_MEDIA_ROOT`` (read when used, so tests may move it) without URLs."""

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks access.")


def private_storage() -> PrivateStorage:
    return PrivateStorage()
