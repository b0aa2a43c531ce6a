"""``manage.py qcluster``: django-q2's task worker, logging in the operators' language (``b2bportal.languages``).

The cluster forks its processes (sentinel, workers, monitor) inside ``handle``, so they keep the language active
there; tasks that write to users (e-mails) switch to each user's language themselves."""

from django_q.management.commands import qcluster

from b2bportal.languages import for_operators


class Command(qcluster.Command):
    @for_operators
    def handle(self, *args, **options):
        return super().handle(*args, **options)
