"""Where files live under the drop folder root, which of them are ready, and how they are moved and written.

::

    {root}/inbound/{entity}/           the ERP drops *.csv / *.xml here (temp names while writing)
    {root}/inbound/{entity}/done/      applied files, each with <name>.result.json
    {root}/inbound/{entity}/error/     refused files, each with <name>.result.json
    {root}/outbound/{kind}/            documents for the ERP (orders, cancellations, payments, credit_memos, quotes,
                                       quote_cancellations, ship_tos, customers)
    {root}/outbound/sent/{kind}/       the portal's ledger of every document it handed over
    {root}/inbound/images/             product pictures named after the SKU: SKU.jpg, SKU_2.png, …
    {root}/inbound/documents/          product documents: SKU__Title.pdf, SKU__Title.en.pdf
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

ENTITIES: tuple[str, ...] = (
    "unit",
    "category",
    "brand",
    "product",
    "warehouse",
    "stock",
    "price_list",
    "price",
    "agreement",
    "customer",
    "balance",
    "credit",
    "order_status",
    "delivery",
    "invoice",
    "credit_memo",
    "ledger",
)
OUTBOUND_KINDS: tuple[str, ...] = (
    "orders",
    "cancellations",
    "payments",
    "credit_memos",
    "quotes",
    "quote_cancellations",
    "ship_tos",
    "customers",
)
# Product pictures and documents (the "product_media" entity): any file, its type told by its content.
MEDIA_FOLDERS: tuple[str, ...] = ("images", "documents")
FEED_SUFFIXES = frozenset({".csv", ".xml"})
TEMP_SUFFIXES = frozenset({".tmp", ".part"})


def is_temp_name(name: str) -> bool:
    """A name the writer is still working under: hidden, editor backup, or a temp/part suffix."""
    return name.startswith((".", "~")) or Path(name).suffix.lower() in TEMP_SUFFIXES


def is_within(path: Path, root: Path) -> bool:
    """Whether ``path`` (after resolving every symlink) lies inside ``root`` (already resolved)."""
    try:
        path.resolve(strict=True).relative_to(root)
    except (OSError, ValueError, RuntimeError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class Layout:
    """The folder tree under one root. Paths only: nothing here touches the disk except the methods that say so."""

    root: Path

    @property
    def inbound(self) -> Path:
        return self.root / "inbound"

    @property
    def outbound(self) -> Path:
        return self.root / "outbound"

    def entity_dir(self, entity: str) -> Path:
        return self.inbound / entity

    def done_dir(self, entity: str) -> Path:
        return self.entity_dir(entity) / "done"

    def error_dir(self, entity: str) -> Path:
        return self.entity_dir(entity) / "error"

    def outbound_dir(self, kind: str) -> Path:
        return self.outbound / kind

    def sent_dir(self, kind: str) -> Path:
        return self.outbound / "sent" / kind

    def all_dirs(self) -> list[Path]:
        """Every folder of the layout, parents first."""
        dirs = [self.inbound, self.outbound, self.outbound / "sent"]
        for entity in (*ENTITIES, *MEDIA_FOLDERS):
            dirs += [self.entity_dir(entity), self.done_dir(entity), self.error_dir(entity)]
        for kind in OUTBOUND_KINDS:
            dirs += [self.outbound_dir(kind), self.sent_dir(kind)]
        return dirs

    def waiting_files(self, entity: str, *, any_suffix: bool = False) -> list[Path]:
        """Files of ``entity`` (or of a media folder, with ``any_suffix``) ready to read, in name order (then
        modification time).

        Skips temp names, other suffixes (unless ``any_suffix``), directories, and symlinks whose target lies
        outside the root (or is missing). A missing entity folder means nothing is waiting."""
        folder = self.entity_dir(entity)
        root = self.root.resolve()
        if not is_within(folder, root):
            if folder.exists() or folder.is_symlink():
                logger.warning("Ignoring %s: it leads outside the drop folder root.", folder)
            return []
        found: list[tuple[str, float, Path]] = []
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if is_temp_name(name) or (not any_suffix and Path(name).suffix.lower() not in FEED_SUFFIXES):
                    continue
                path = Path(entry.path)
                if entry.is_symlink() and not is_within(path, root):
                    logger.warning("Ignoring %s: the symlink leads outside the drop folder root.", path)
                    continue
                try:
                    if not entry.is_file(follow_symlinks=True):
                        continue
                    mtime = entry.stat(follow_symlinks=True).st_mtime
                except OSError:  # vanished or unreadable since the listing: the next run sees it again
                    continue
                found.append((name, mtime, path))
        found.sort(key=lambda item: (item[0], item[1]))
        return [path for _, _, path in found]


def free_name(folder: Path, name: str) -> Path:
    """A path in ``folder`` for ``name`` that does not exist yet: ``name`` itself, else the name with a UTC
    timestamp before the suffix (and a counter should two moves share the same microsecond)."""
    candidate = folder / name
    if not candidate.exists() and not (folder / f"{name}.result.json").exists():
        return candidate
    stem, suffix = Path(name).stem, Path(name).suffix
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    counter = 0
    while True:
        extra = f"-{counter}" if counter else ""
        candidate = folder / f"{stem}.{stamp}{extra}{suffix}"
        if not candidate.exists():
            return candidate
        counter += 1


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` either does not exist or holds all of it: the bytes go to
    ``.{name}.tmp`` in the same folder, are flushed to disk, then renamed over ``path``. Raises ``OSError``
    (after removing the temp file) when any step fails."""
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        raise
    sync_dir(path.parent)


def sync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename) to disk where the platform allows it; best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
