"""``manage.py erpsync``: run a sync by hand, see where every connection stands, install the schedules.

manage.py erpsync sync <connection> <entity|all> [--full] [--dry-run]
manage.py erpsync status
manage.py erpsync drain [<connection>]
manage.py erpsync test <connection>
manage.py erpsync schedules [--install]
manage.py erpsync drift [--connection <connection>]
manage.py erpsync settings-doc [--write]
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from b2bportal.languages import for_operators
from erpsync.adapters import adapter_for
from erpsync.drift import drift_check
from erpsync.health import connection_health, connection_test
from erpsync.importers import IMPORTERS, ImportRefused, sync_import
from erpsync.models import ErpConnection
from erpsync.schedules import planned_schedules, schedules_install
from erpsync.settings_docs import TABLES, settings_table, stale_pages
from erpsync.tasks import drain_outbox


class Command(BaseCommand):
    help = (
        "Sync with the ERP by hand, show sync status, deliver the outbox, test a connection, install schedules, "
        "compare the ERP with the portal."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="Import an entity (or all) from a connection.")
        sync.add_argument("connection", help="The connection's code.")
        sync.add_argument("entity", help="An entity (product, stock, price, customer, …) or 'all'.")
        sync.add_argument("--full", action="store_true", help="A full snapshot even when the ERP gives deltas.")
        sync.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would change and change nothing; the run is logged, marked as a dry run.",
        )
        sync.add_argument("--no-progress", action="store_true", help="No progress bar.")
        sub.add_parser("status", help="Last run per entity, backlog and open issues of every connection.")
        drain = sub.add_parser("drain", help="Deliver the due outbox jobs now.")
        drain.add_argument("connection", nargs="?", help="Only this connection.")
        test = sub.add_parser("test", help="Check that a connection reaches its ERP.")
        test.add_argument("connection")
        schedules = sub.add_parser("schedules", help="Show (or --install) the periodic syncs.")
        schedules.add_argument("--install", action="store_true")
        drift = sub.add_parser("drift", help="Compare the ERP with the portal now and record the drifts as issues.")
        drift.add_argument("--connection", help="Only this connection (default: every active connection).")
        doc = sub.add_parser("settings-doc", help="Print the connection settings tables (Markdown) of the docs.")
        doc.add_argument("--write", action="store_true", help="Put the tables into the docs pages.")

    @for_operators
    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action.replace('-', '_')}")(**options)

    def _connection(self, code: str) -> ErpConnection:
        connection = ErpConnection.objects.filter(code=code).first()
        if connection is None:
            known = ", ".join(ErpConnection.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"No connection {code!r}; connections: {known}.")
        return connection

    def _sync(self, *, connection, entity, full, dry_run, no_progress, **options) -> None:

        conn = self._connection(connection)
        if entity == "all":
            with adapter_for(conn) as adapter:
                entities = [e for e in IMPORTERS if adapter.can_read(e)]
        else:
            entities = [entity]
        failed = False
        for name in entities:
            bar = None
            if not no_progress and options["verbosity"] > 0:
                bar = tqdm(desc=name, unit=" records", file=self.stderr._out, leave=False)
            try:
                # A bar with no total has no truth value (tqdm raises): test for None, never for the bar itself.
                run = sync_import(
                    connection=conn,
                    entity=name,
                    full=full,
                    dry_run=dry_run,
                    progress=bar.update if bar is not None else None,
                )
            except ImportRefused as exc:
                raise CommandError(str(exc)) from exc
            except Exception as exc:  # recorded as a failed run (and an issue) by sync_import
                failed = True
                self.stderr.write(self.style.ERROR(f"{name}: failed: {exc}"))
                continue
            finally:
                if bar is not None:
                    bar.close()
            style = self.style.SUCCESS if run.status == "succeeded" else self.style.WARNING
            prefix = "[dry run] " if dry_run else ""
            self.stdout.write(
                style(
                    f"{prefix}{name}: {run.status} — created {run.created}, updated {run.updated}, unchanged "
                    f"{run.unchanged}, deactivated {run.deactivated}, failed {run.failed} "
                    f"({run.summary.get('seconds', 0):.1f} s)"
                )
            )
            if dry_run and options["verbosity"] > 0:
                for sample in run.summary.get("samples", [])[:10]:
                    self.stdout.write("  " + json.dumps(sample, ensure_ascii=False))
                for feed in run.summary.get("feeds", []):
                    for issue in feed.get("issues", []):
                        self.stdout.write(f"  would open issue {issue['code']} for {issue['key']}: {issue['message']}")
        if failed:
            raise CommandError("Some imports failed; see the sync runs and issues in the admin.")

    def _status(self, **options) -> None:

        for conn in ErpConnection.objects.order_by("code"):
            health = connection_health(conn)
            state = "active" if conn.is_active else "inactive"
            self.stdout.write(self.style.MIGRATE_HEADING(f"{conn.code} — {conn.name} [{conn.adapter}, {state}]"))
            if health.breaker_open_until:
                self.stdout.write(
                    self.style.WARNING(f"  exports paused until {health.breaker_open_until:%Y-%m-%d %H:%M}")
                )
            oldest = f", oldest waiting {health.oldest_job_age}" if health.oldest_job_age else ""
            self.stdout.write(f"  outbox: {health.backlog} waiting, {health.dead} need a human{oldest}")
            self.stdout.write(f"  open issues: {health.open_issues}; failed runs in 24 h: {health.failed_runs_24h}")
            not_sent = [offer.kind for offer in health.exports if not offer.taken]
            if not_sent:  # as the connection is set up: these are not queued, staff enter them by hand
                self.stdout.write(f"  not sent to this ERP: {', '.join(not_sent)}")
            for row in health.entities:
                last = timezone.localtime(row.last_success).strftime("%Y-%m-%d %H:%M") if row.last_success else "never"
                lag = timedelta(seconds=round(row.lag.total_seconds())) if row.lag is not None else "-"
                self.stdout.write(f"  {row.entity:<13} last success {last:<16} lag {lag}  {row.last_status}")
            if health.drift is not None:
                drift = health.drift
                last = timezone.localtime(drift.last_check).strftime("%Y-%m-%d %H:%M") if drift.last_check else "never"
                kinds = ", ".join(f"{k['code']} {k['count']}" for k in drift.open_by_kind) or "none open"
                self.stdout.write(f"  drift         last check {last:<18} {drift.last_status}  ({kinds})")

    def _drain(self, *, connection=None, **options) -> None:

        ran = drain_outbox(self._connection(connection).pk if connection else None)
        self.stdout.write(f"{ran} outbox jobs run.")

    def _test(self, *, connection, **options) -> None:

        check = connection_test(self._connection(connection))
        (self.stdout.write if check.ok else self.stderr.write)(check.message)
        if check.details:
            self.stdout.write(json.dumps(check.details, ensure_ascii=False, default=str, indent=2))
        if not check.ok:
            raise CommandError("The connection does not work.")

    def _schedules(self, *, install, **options) -> None:

        if install:
            created, updated, deleted = schedules_install()
            self.stdout.write(f"Schedules: {created} created, {updated} updated, {deleted} removed.")
        for plan in planned_schedules():
            every = (
                f"every {plan.minutes} min"
                if plan.minutes
                else f"daily from {timezone.localtime(plan.first_run):%H:%M}"
            )
            self.stdout.write(f"  {plan.name:<40} {every:<18} {plan.func}({plan.args})")

    def _drift(self, *, connection=None, **options) -> None:

        if connection:
            connections = [self._connection(connection)]
        else:
            connections = list(ErpConnection.objects.filter(is_active=True).order_by("code"))
        failed = False
        for conn in connections:
            report = drift_check(conn)
            failed = failed or report.failed
            style = self.style.ERROR if report.failed else self.style.WARNING if report.drifted else self.style.SUCCESS
            self.stdout.write(
                style(
                    f"{conn.code}: {report.compared} compared, {report.drifted} differ "
                    f"({report.recorded} issues recorded, {report.resolved} resolved)"
                )
            )
            if report.error:
                self.stderr.write(self.style.ERROR(f"  {report.error}"))
            for check in report.checks:
                line = f"  {check.name:<8} {check.state}: {check.compared} compared, {check.drifted} differ"
                if check.reason:
                    line += f" — {check.reason}"
                self.stdout.write(line)
                for draft in check.drafts[:10] if options["verbosity"] > 1 else ():
                    self.stdout.write(f"    {draft.code} {draft.external_id}: {draft.message}")
        if failed:
            raise CommandError("Some drift checks failed; see the drift runs in the admin.")

    def _settings_doc(self, *, write: bool, **_options) -> None:
        for name, (cls, page) in TABLES.items():
            self.stdout.write(f"## {cls.title} (docs/{page}, `{name}`)\n\n{settings_table(name)}\n")
        if write:
            for path in stale_pages(write=True):
                self.stdout.write(f"Updated {path}.")
