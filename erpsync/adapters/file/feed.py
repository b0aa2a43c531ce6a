"""A feed read from one file, which moves the file to ``done/`` or ``error/`` once the engine has decided."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from erpsync.adapters.base import Feed, FeedError, RetryableError
from erpsync.adapters.file.layout import free_name, sync_dir, write_atomic

logger = logging.getLogger(__name__)


@dataclass
class FileFeed(Feed):
    """``path`` is the file in the entity's inbound folder; ``settled_to`` where it went once settled."""

    path: Path | None = field(default=None, repr=False)
    settled_to: Path | None = None
    # For CSV files: the records' raw digests and the records chosen by number (``erpsync.adapters.file.csvfeed``).
    digests_reader: Callable[[bytes], Iterator[int]] | None = field(default=None, repr=False)
    records_reader: Callable[[bytes, bytearray | None], Iterator[tuple[int, Any]]] | None = field(
        default=None, repr=False
    )

    def line_digests(self, salt: bytes) -> Iterator[int] | None:
        return None if self.digests_reader is None else self.digests_reader(salt)

    def line_records(self, salt: bytes, keep: bytearray | None) -> Iterator[tuple[int, Any]]:
        if self.records_reader is None:
            raise NotImplementedError
        return self.records_reader(salt, keep)

    def acknowledge(self, summary: Mapping[str, Any]) -> None:
        """Move the file to ``done/`` with ``<name>.result.json`` holding ``summary``. A second call, or a call
        after ``reject``, does nothing. Raises ``RetryableError`` when the move fails (the file stays put and
        its digest keeps it from being applied twice)."""
        self._settle("done", {"status": "done", "summary": dict(summary)})

    def reject(self, error: Exception) -> None:
        """Move the file to ``error/`` with ``<name>.result.json`` saying what was wrong and where."""
        self._settle("error", {"status": "error", "error": describe(error)})

    def _settle(self, folder_name: str, result: dict[str, Any]) -> None:
        if self.settled_to is not None or self.path is None:
            return
        folder = self.path.parent / folder_name
        try:
            folder.mkdir(exist_ok=True)
            target = free_name(folder, self.path.name)
            os.rename(self.path, target)
        except FileNotFoundError:
            logger.warning("Cannot move %s to %s/: the file is gone.", self.path, folder_name)
            return
        except OSError as exc:
            raise RetryableError(f"Cannot move {self.path} to {folder_name}/: {exc}") from exc
        self.settled_to = target
        sync_dir(self.path.parent)
        document = {
            "file": self.source,
            "stored_as": target.name,
            "entity": self.entity,
            "digest": self.digest,
            "processed_at": datetime.now(UTC).isoformat(),
            **result,
        }
        sidecar = target.with_name(f"{target.name}.result.json")
        try:
            write_atomic(sidecar, json.dumps(document, indent=2, ensure_ascii=False, default=str).encode())
        except OSError as exc:
            # The file is settled already; a missing result file must not undo that.
            logger.error("Moved %s to %s but could not write %s: %s", self.path, target, sidecar, exc)


def describe(error: Exception) -> dict[str, Any]:
    """An error as the result file shows it: type, message and, for a ``FeedError``, file, line, column."""
    if isinstance(error, FeedError):
        return {
            "type": type(error).__name__,
            "message": error.message,
            "file": error.source,
            "line": error.line,
            "column": error.column,
        }
    return {"type": type(error).__name__, "message": str(error)}
