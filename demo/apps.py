from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo company (``manage.py demo``): above every other app, it may use any of them."""

    name = "demo"
    verbose_name = "Demo company"
