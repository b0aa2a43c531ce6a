"""The embedded file adapter: CSV and XML files through drop folders (see ``docs/file-exchange.md``)."""

from erpsync.adapters.file.adapter import FileAdapter

__all__ = ["FileAdapter"]
