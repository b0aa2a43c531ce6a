"""Reading one XML file into records, element by element.

Parsing is done by ``defusedxml``'s parser with DTDs forbidden: entity declarations (the "billion laughs"
bomb), external entities and DOCTYPEs are refused, never expanded. Instead of building a tree, the parser
feeds a small collector (its parse target) that keeps one record at a time: memory stays flat for any file
size, and each record knows the line its element started on, which a pull parser cannot tell.

Shape: ``<Products><Product><code>…</code>…</Product>…</Products>``. Fields may also be attributes of the
record element. Element and attribute names are matched ignoring case and namespaces; unknown fields are
ignored, an unknown element where a record (or a nested item) belongs is refused.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from erpsync.adapters.base import FeedError
from erpsync.adapters.file.scan import Scan
from erpsync.adapters.file.schema import RawRecord, RecordSchema, build, match_key
from erpsync.adapters.file.values import ValueFormat

CHUNK = 64 * 1024
_POSITION = re.compile(r": line \d+, column \d+$")


def read_xml(
    path: Path, *, source: str, schema: RecordSchema, fmt: ValueFormat, scan: Scan, max_depth: int
) -> Iterator[Any]:
    """The records of the XML file at ``path``, one at a time.

    Raises ``FeedError`` with the line (and character column for syntax errors) when the document is not
    well-formed, holds a DTD or entity declaration, nests deeper than ``max_depth``, has another root element
    than the entity's, or holds values ``build`` refuses."""
    collector = _Collector(schema, source, max_depth)
    try:
        parser = DefusedXMLParser(target=collector, encoding=scan.xml_encoding, forbid_dtd=True)
    except (LookupError, ValueError) as exc:
        raise FeedError(f"encoding {scan.xml_encoding!r} cannot be used: {exc}", source=source) from None
    collector.expat = parser.parser
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            try:
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
            except ParseError as exc:
                line, column = getattr(exc, "position", (None, None))
                message = _POSITION.sub("", str(exc))
                raise FeedError(f"not well-formed XML: {message}", source=source, line=line, column=column) from None
            except DefusedXmlException as exc:
                raise FeedError(
                    f"DOCTYPE, DTD and entity declarations are refused ({type(exc).__name__})",
                    source=source,
                    line=collector.line(),
                ) from None
            except (LookupError, ValueError) as exc:  # an encoding expat cannot use, declared in the file
                raise FeedError(f"unusable encoding: {exc}", source=source, line=collector.line()) from None
            while collector.ready:
                yield build(schema, collector.ready.popleft(), fmt, source)
            if not chunk:
                return


def _local(name: str) -> str:
    """``{namespace}name`` → ``name``, matched the way header texts are."""
    return match_key(name.rpartition("}")[2])


class _Collector:
    """The parse target: element events in, finished ``RawRecord``s out (in ``ready``).

    Depth 1 is the root, 2 a record, 3 a field or the nested container, 4 a nested item, 5 its fields."""

    def __init__(self, schema: RecordSchema, source: str, max_depth: int) -> None:
        self.schema = schema
        self.source = source
        self.max_depth = max_depth
        self.expat: Any = None
        self.ready: deque[RawRecord] = deque()
        self.depth = 0
        self.record: RawRecord | None = None
        self.item: RawRecord | None = None
        self.in_container = False
        self.capture: tuple[RawRecord, str, str, int] | None = None  # (record, field key, element name, depth)
        self.text: list[str] = []
        self.fields = {match_key(key): key for key in schema.field_keys()}
        nested = schema.nested
        self.item_fields = {match_key(key): key for key in nested.schema.field_keys()} if nested else {}

    def line(self) -> int | None:
        return self.expat.CurrentLineNumber if self.expat is not None else None

    def fail(self, message: str, column: str | None = None) -> FeedError:
        return FeedError(message, source=self.source, line=self.line(), column=column)

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        self.depth += 1
        name = _local(tag)
        schema, nested = self.schema, self.schema.nested
        if self.depth > self.max_depth:
            raise self.fail(f"elements nest deeper than {self.max_depth} levels")
        if self.depth == 1:
            if name != match_key(schema.xml_root):
                raise self.fail(f"unknown root element <{tag}>: this folder expects <{schema.xml_root}>")
        elif self.depth == 2:
            if name != match_key(schema.xml_item):
                raise self.fail(f"unexpected element <{tag}> in <{schema.xml_root}>: expected <{schema.xml_item}>")
            self.record = RawRecord(line=self.line() or 0)
            self._attributes(self.record, attrib, self.fields)
        elif self.depth == 3 and self.record is not None:
            if nested is not None and name == match_key(nested.xml_container):
                self.in_container = True
            elif name in self.fields:
                self._begin(self.record, self.fields[name], tag)
        elif self.depth == 4 and self.in_container and nested is not None:
            if name != match_key(nested.xml_item):
                raise self.fail(f"unexpected element <{tag}> in <{nested.xml_container}>: expected <{nested.xml_item}>")
            self.item = RawRecord(line=self.line() or 0)
            self._attributes(self.item, attrib, self.item_fields)
        elif self.depth == 5 and self.item is not None and name in self.item_fields:
            self._begin(self.item, self.item_fields[name], tag)

    def data(self, text: str) -> None:
        # Only the field element's own text counts, not the text of elements nested inside it.
        if self.capture is not None and self.depth == self.capture[3]:
            self.text.append(text)

    def end(self, tag: str) -> None:
        if self.capture is not None and self.depth == self.capture[3]:
            record, key, name, _ = self.capture
            self._set(record, key, "".join(self.text), name)
            self.capture, self.text = None, []
        elif self.capture is not None:
            pass  # the end of an element inside a field
        elif self.depth == 4 and self.item is not None and self.record is not None:
            self.record.children.append(self.item)
            self.item = None
        elif self.depth == 3:
            self.in_container = False
        elif self.depth == 2 and self.record is not None:
            self.ready.append(self.record)
            self.record = None
        self.depth -= 1

    def close(self) -> None:
        return None

    def _begin(self, record: RawRecord, key: str, tag: str) -> None:
        self.capture, self.text = (record, key, tag.rpartition("}")[2], self.depth), []
        record.lines[key] = self.line() or record.line

    def _attributes(self, record: RawRecord, attrib: Mapping[str, str], fields: Mapping[str, str]) -> None:
        for name, value in attrib.items():
            key = fields.get(_local(name))
            if key is not None:
                self._set(record, key, value, name.rpartition("}")[2])

    def _set(self, record: RawRecord, key: str, text: str, label: str) -> None:
        if key in record.values:
            raise self.fail(f"{key} is given twice", column=label)
        record.values[key] = text
        record.labels[key] = label
