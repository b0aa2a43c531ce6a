"""Notifications: e-mail (HTML and text) and the in-portal list of recent notices, each sent once.

The kernel of the feature; the apps above it declare their kinds (``notifications.kinds.register``) in their own
``notifications.py`` and call ``notifications.services.notify``. See docs/notifications.md.
"""
