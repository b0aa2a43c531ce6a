"""System checks: every declared notification kind has its templates, so a missing one is a start-up error rather
than a notice that fails at every attempt."""

from django.core.checks import Error, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from notifications.kinds import Kind, all_kinds


def templates_of(kind: Kind) -> list[str]:
    names = [f"{kind.template}_subject.txt"]
    suffixes = ("_digest_subject.txt", "_digest.txt", "_digest.html") if kind.digest else (".txt", ".html")
    return names + [f"{kind.template}{suffix}" for suffix in suffixes]


@register()
def check_notification_templates(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for kind in all_kinds():
        for name in templates_of(kind):
            try:
                get_template(name)
            except TemplateDoesNotExist:
                errors.append(
                    Error(f"Notification kind {kind.key!r} has no template {name!r}.", id="notifications.E001")
                )
    return errors
