"""Importing the sample export the way production does: dropped into the demo file connection's folder and read
entity by entity by ``erpsync.importers.sync_import``."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from django.conf import settings

from demo.erp_export import CONNECTION_ENTITY_SETTINGS, ERP_EXPORT, ExportFile
from demo.rows import Context
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncCursor, SyncIssue, SyncRun

# The committed sample export, and the drop folder the demo's ERP connection reads (environment, else var/).
DEMO_ERP_DIR = Path(__file__).resolve().parent / "sample_export"
DROP_FOLDER_ENV = "B2B_DEMO_ERP_DROP"
CONNECTION_CODE = "demo-erp"


class DemoSyncError(Exception):
    """The sample ERP export did not import cleanly: a run failed or opened issues. Nothing was kept."""


def demo_drop_folder() -> Path:
    """Where the demo's ERP drops its files: ``$B2B_DEMO_ERP_DROP``, else ``var/erp-drop`` in the project."""
    configured = os.environ.get(DROP_FOLDER_ENV, "").strip()
    return Path(configured) if configured else Path(settings.BASE_DIR) / "var" / "erp-drop"


def demo_connection(drop: Path) -> ErpConnection:
    """The demo's file connection, reading ``drop``. Made the default connection unless another one is."""
    drop.mkdir(parents=True, exist_ok=True)
    root = str(drop)
    connection, created = ErpConnection.objects.get_or_create(
        code=CONNECTION_CODE,
        defaults={
            "name": "Demo ERP (file exchange)",
            "adapter": "file",
            "settings": {"root": root, "entities": CONNECTION_ENTITY_SETTINGS},
            "is_active": True,
            "is_default": not ErpConnection.objects.filter(is_default=True).exists(),
        },
    )
    if not created and connection.settings.get("root") != root:
        # The files go where the connection reads; other settings staff changed stay.
        connection.settings = {**connection.settings, "root": root}
        connection.save(update_fields=["settings", "updated_at"])
    return connection


def _applied_before(connection: ErpConnection, spec: ExportFile) -> bool:
    """Whether the database already holds this very file as the last one applied for its entity (the file
    connection remembers each entity's last digest)."""
    cursor = SyncCursor.objects.filter(connection=connection, entity=spec.entity).first()
    if cursor is None or not cursor.state.get("digest"):
        return False
    return cursor.state["digest"] == hashlib.sha256((DEMO_ERP_DIR / spec.path).read_bytes()).hexdigest()


def _hand_over(drop: Path, connection: ErpConnection) -> list[ExportFile]:
    """Copy the sample export files the database has not applied yet into the drop folder as an ERP does: under a
    temporary name, then renamed, so the adapter never reads a half-written file. Files applied before are not
    handed over again, so running the demo again adds no copies to the drop folder. Returns the files handed over."""
    handed = []
    for spec in ERP_EXPORT:
        if _applied_before(connection, spec):
            continue
        folder = drop / "inbound" / spec.entity
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f".{spec.name}.tmp"
        shutil.copyfile(DEMO_ERP_DIR / spec.path, temp)
        os.replace(temp, folder / spec.name)
        handed.append(spec)
    return handed


def sync_sample_export(ctx: Context, drop: Path) -> tuple[list[SyncRun], list[str]]:
    """Drop the sample export files not applied yet and import them entity by entity through ``sync_import``;
    returns the runs and the names of the files applied before (not handed over again). Raises ``DemoSyncError``
    with the issue messages when a run fails or opens issues: the demo data must import cleanly."""
    ctx.log(f"ERP sync from {drop}")
    connection = demo_connection(drop)
    handed = _hand_over(drop, connection)
    applied_before = [spec.name for spec in ERP_EXPORT if spec not in handed]
    runs = []
    for spec in handed:
        try:
            run = sync_import(connection=connection, entity=spec.entity)
        except Exception as exc:
            raise DemoSyncError(f"Importing {spec.entity} from {drop} failed: {exc}") from exc
        runs.append(run)
        ctx.log(f"  {sync_run_text(run)}")
        issues = SyncIssue.objects.filter(run=run, status__in=(SyncIssue.Status.OPEN, SyncIssue.Status.RETRYING))
        if run.status != SyncRun.Status.SUCCEEDED or issues.exists():
            listed = [f"{i.entity} {i.external_id}: {i.code}: {i.message}" for i in issues.order_by("pk")[:10]]
            more = issues.count() - len(listed)
            raise DemoSyncError(
                "\n".join(
                    [f"The sample ERP export did not import cleanly: {sync_run_text(run)}", *listed]
                    + ([f"... and {more} more issues."] if more > 0 else [])
                    + ([run.error] if run.error else [])
                )
            )
    return runs, applied_before


def sync_run_text(run: SyncRun) -> str:
    """One line for a run: entity, status, counts, and the feed it read (or why it skipped it)."""
    feeds = run.summary.get("feeds", [])
    notes = [f"{f['source']} skipped, {f['skipped']}" if f.get("skipped") else f["source"] for f in feeds]
    return (
        f"{run.entity:<10} {run.status}: {run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
        f"{run.deactivated} deactivated, {run.failed} failed ({'; '.join(notes) or 'no file waiting'})"
    )
