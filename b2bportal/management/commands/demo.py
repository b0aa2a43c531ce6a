"""``manage.py demo``: load the demo company (safe to run again) and print the demo logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from b2bportal.demo import DemoRefusedError, demo_load


class Command(BaseCommand):
    help = "Create a demo company: catalogue, stock, prices, dealers, users and orders. Running it again adds nothing."

    def handle(self, *args, **options) -> None:
        verbose = options["verbosity"] > 1
        try:
            summary = demo_load(stdout=self.stdout if verbose else None)
        except DemoRefusedError as exc:
            raise CommandError(str(exc)) from exc
        created = sum(summary.created.values())
        self.stdout.write(f"Demo loaded in {summary.seconds:.1f} s: {created} rows created.")
        width = max(len(label) for label in summary.totals)
        for label, total in summary.totals.items():
            self.stdout.write(f"  {label:<{width}}  {total:>6}  (+{summary.created.get(label, 0)})")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo logins:"))
        for login in summary.logins:
            where = f" — {login.dealer}" if login.dealer else ""
            self.stdout.write(f"  {login.email:<28} {login.password:<12} {login.role} [{login.language}]{where}")
        self.stdout.write("Logins that existed before this run keep the password they had.")
