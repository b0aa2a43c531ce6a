"""``manage.py qcluster``: django-q2's task worker, logging in the operators' language (``b2bportal.languages``).

The language is activated for the whole process, not only for ``handle``: the cluster forks its processes (sentinel,
workers, monitor) from here, and this process goes on logging (stopping, stopped) after ``handle`` has returned.
Tasks that write to users (e-mails) switch to each user's language themselves."""

from django.conf import settings
from django.utils import translation
from django_q.management.commands import qcluster


class Command(qcluster.Command):
    def handle(self, *args, **options):
        translation.activate(settings.B2B_OPERATOR_LANGUAGE)
        return super().handle(*args, **options)
