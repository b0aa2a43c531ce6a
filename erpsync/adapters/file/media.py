"""Product pictures and documents from the drop folder (the ``product_media`` entity).

::

    {root}/inbound/images/SKU.jpg            the product's first picture (position 1)
    {root}/inbound/images/SKU_2.png          its second picture; SKU_3.webp the third…
    {root}/inbound/documents/SKU__Title.pdf  a document for every language; "_" in the title reads as a space
    {root}/inbound/documents/SKU__Title.en.pdf   one for English readers (tr, en)
    {root}/inbound/images/SKU_2.removed      the ERP took the product's second picture off (any content)

The name only says which product and which slot: whatever the suffix, a file's type is told by its content (a
``.jpg`` that is not an image is refused, a PNG named ``.jpg`` is a PNG). A SKU that itself ends in ``_<number>``
names its first picture ``SKU_1.jpg``. Every file waiting is one record of one feed; once the feed is applied, each
file moves to ``done/``, or to ``error/`` when it was refused (unknown product, not an acceptable file), with its
``<name>.result.json``. A file dropped again with the content the portal has changes nothing.

A picture or document is removed only when the ERP says so: a ``.removed`` file in its slot, or, with the
connection's ``media_snapshot`` on, a drop (a complete feed) that does not hold it. A slot with no file waiting is
one the ERP said nothing about.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from erpsync.adapters.base import ErpProductMedia, Feed, MediaKind, RetryableError
from erpsync.adapters.file.layout import Layout, free_name, sync_dir, write_atomic

logger = logging.getLogger(__name__)

REMOVED_SUFFIX = ".removed"
IMAGE_NAME = re.compile(r"^(?P<sku>.+?)(?:_(?P<position>\d{1,4}))?$")
LANGUAGES = ("tr", "en")
# A document's kind from the first word of its title (English or Turkish); anything else is "other".
KIND_WORDS = {
    "datasheet": "datasheet",
    "data": "datasheet",
    "teknik": "datasheet",
    "manual": "manual",
    "kılavuz": "manual",
    "kilavuz": "manual",
    "certificate": "certificate",
    "sertifika": "certificate",
    "belge": "certificate",
}


def image_slot(name: str) -> tuple[str, int]:
    """``SKU_2.jpg`` → ("SKU", 2); ``SKU.jpg`` → ("SKU", 1)."""
    match = IMAGE_NAME.match(Path(name).stem)
    return match["sku"], int(match["position"] or 1)


def document_slot(name: str) -> tuple[str, str, str]:
    """``SKU__User_manual.en.pdf`` → ("SKU", "User manual", "en"); without ``__`` the whole name is the SKU."""
    stem = Path(name).stem
    language = ""
    base, dot, tail = stem.rpartition(".")
    if dot and tail.lower() in LANGUAGES:
        stem, language = base, tail.lower()
    sku, separator, title = stem.partition("__")
    title = title.replace("_", " ").strip() if separator else ""
    return sku, title, language


def document_kind(title: str) -> str:
    first = title.split(" ", 1)[0].lower() if title else ""
    return KIND_WORDS.get(first, "other")


@dataclass
class MediaFeed(Feed):
    """Every picture and document waiting; each file is settled on its own once the feed is applied."""

    layout: Layout | None = field(default=None, repr=False)
    limits: Mapping[str, int] = field(default_factory=dict)
    paths: list[Path] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)

    def refuse_record(self, record: Any, reason: str) -> None:
        self.refused[record.source] = reason

    def acknowledge(self, summary: Mapping[str, Any]) -> None:
        for path in self.paths:
            reason = self.refused.get(f"{path.parent.name}/{path.name}")
            if reason is None:
                self._settle(path, "done", {"status": "done"})
            else:
                self._settle(path, "error", {"status": "error", "error": {"message": reason}})

    def reject(self, error: Exception) -> None:
        """A media feed is never refused whole (each file is a record); should it be, the files stay to be read
        again."""

    def _settle(self, path: Path, folder_name: str, result: dict[str, Any]) -> None:
        folder = path.parent / folder_name
        try:
            folder.mkdir(exist_ok=True)
            target = free_name(folder, path.name)
            os.rename(path, target)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise RetryableError(f"Cannot move {path} to {folder_name}/: {exc}") from exc
        sync_dir(path.parent)
        document = {"file": path.name, "stored_as": target.name, "processed_at": datetime.now(UTC).isoformat()}
        try:
            sidecar = target.with_name(f"{target.name}.result.json")
            write_atomic(sidecar, json.dumps({**document, **result}, indent=2, ensure_ascii=False).encode())
        except OSError as exc:
            logger.error("Moved %s to %s but could not write its result file: %s", path, target, exc)


def media_feed(
    layout: Layout, *, image_max_bytes: int, document_max_bytes: int, complete: bool = False
) -> MediaFeed | None:
    """The feed of every file waiting in ``images/`` and ``documents/``, ``complete`` when the drop holds every
    picture the ERP has; None when nothing waits."""
    paths: list[Path] = []
    for folder in ("images", "documents"):
        try:
            paths += layout.waiting_files(folder, any_suffix=True)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise RetryableError(f"Cannot list {layout.entity_dir(folder)}: {exc}") from exc
    if not paths:
        return None
    feed = MediaFeed(
        entity="product_media", source="images+documents", records=(), complete=complete, layout=layout, paths=paths
    )
    feed.records = _records(paths, image_max_bytes=image_max_bytes, document_max_bytes=document_max_bytes)
    return feed


def _read(path: Path, limit: int) -> bytes | None:
    """At most ``limit + 1`` bytes: enough for the check to say the file is too large, never the whole of a huge
    one. None when the file went away since the listing."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RetryableError(f"Cannot read {path}: {exc}") from exc


def _records(paths: list[Path], *, image_max_bytes: int, document_max_bytes: int) -> Iterator[ErpProductMedia]:
    for path in paths:
        source = f"{path.parent.name}/{path.name}"
        if path.suffix.lower() == REMOVED_SUFFIX:
            yield _removed(path, source)
        elif path.parent.name == "images":
            data = _read(path, image_max_bytes)
            if data is None:
                continue
            sku, position = image_slot(path.name)
            yield ErpProductMedia(
                product_code=sku,
                kind=MediaKind.IMAGE,
                key=f"image:{sku}:{position}",
                content=data,
                position=position,
                source=source,
            )
        else:
            data = _read(path, document_max_bytes)
            if data is None:
                continue
            sku, title, language = document_slot(path.name)
            yield ErpProductMedia(
                product_code=sku,
                kind=MediaKind.DOCUMENT,
                key=f"document:{sku}:{title.lower()}:{language}",
                content=data,
                title=title or sku,
                language=language,
                document_kind=document_kind(title),
                source=source,
            )


def _removed(path: Path, source: str) -> ErpProductMedia:
    """A ``.removed`` file: the picture or document of that slot is gone from the ERP (its content is not read)."""
    if path.parent.name == "images":
        sku, position = image_slot(path.name)
        return ErpProductMedia(sku, MediaKind.IMAGE, f"image:{sku}:{position}", removed=True, source=source)
    sku, title, language = document_slot(path.name)
    key = f"document:{sku}:{title.lower()}:{language}"
    return ErpProductMedia(sku, MediaKind.DOCUMENT, key, removed=True, source=source)
