"""``manage.py demo``: load the demo company (safe to run again) and print the sync runs and the demo logins.

``manage.py demo --write-erp-files demo/sample_export`` rebuilds the committed sample ERP export instead.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from demo.erp_export import demo_erp_export_write
from demo.erp_import import DROP_FOLDER_ENV, DemoSyncError, sync_run_text
from demo.load import DemoRefusedError, demo_load


class Command(BaseCommand):
    help = (
        "Create a demo company: the ERP's catalogue, prices and dealer accounts imported from sample export files "
        "through the file adapter, then users and orders. Running it again adds nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--erp-drop",
            metavar="DIR",
            type=Path,
            help=f"The demo ERP connection's drop folder (default: ${DROP_FOLDER_ENV}, else var/erp-drop).",
        )
        parser.add_argument(
            "--write-erp-files",
            metavar="DIR",
            type=Path,
            help="Only write the sample ERP export under DIR (demo/sample_export is the committed copy) and stop.",
        )

    def handle(self, *args, **options) -> None:
        if options["write_erp_files"]:
            written = demo_erp_export_write(options["write_erp_files"])
            for path in written:
                self.stdout.write(f"  {path} ({path.stat().st_size:,} bytes)")
            self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} ERP export files."))
            return
        verbose = options["verbosity"] > 1
        try:
            summary = demo_load(stdout=self.stdout if verbose else None, drop_folder=options["erp_drop"])
        except (DemoRefusedError, DemoSyncError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"ERP sync through the file adapter, drop folder {summary.drop_folder}:")
        for run in summary.sync_runs:
            self.stdout.write(f"  {sync_run_text(run)}")
        if summary.applied_before:
            self.stdout.write(f"  {len(summary.applied_before)} files applied before, not handed over again.")
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
