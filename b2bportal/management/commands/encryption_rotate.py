"""``manage.py encryption_rotate``: after a new key was put first in ``FIELD_ENCRYPTION_KEYS``, encrypt every stored
secret again with it, so the old keys can be removed. Exits with an error naming the values no key decrypts."""

from django.core.management.base import BaseCommand, CommandError

from b2bportal.encryption import encrypted_fields_rotate


class Command(BaseCommand):
    help = "Encrypt every stored secret again with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        report = encrypted_fields_rotate()
        self.stdout.write(f"{report.reencrypted} values encrypted with the first key.")
        if report.unreadable:
            raise CommandError("No configured key decrypts: " + ", ".join(report.unreadable))
