"""The Service Layer's requests and responses as the simulator sees them: paths and keys, page sizes, options."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from erpsync.simulators.sap_b1.errors import BAD_REQUEST, B1Error
from erpsync.simulators.sap_b1.schema import ENTITY_SETS

API_ROOT = "/b1s/v1/"  # OData v3-style JSON (``odata.*`` annotations)
API_ROOT_V2 = "/b1s/v2/"  # OData v4 (``@odata.*`` annotations, ``OData-Version: 4.0``)
API_ROOTS = {API_ROOT: 1, API_ROOT_V2: 2}
DEFAULT_PAGE_SIZE = 20
VERSION = "1000190"
VERSION_V2 = "1000280"  # as a recorded v2 Login answered it (FP 2405 era)
CONTENT_TYPES = {
    1: "application/json;odata=minimalmetadata;charset=utf-8",
    2: "application/json;odata.metadata=minimal;charset=utf-8",
}
# Characters left readable in odata.nextLink; spaces and the rest are percent-encoded.
NEXTLINK_SAFE = ",'()=:*$/"


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)
    content_type: str = ""
    version: int = 1

    def __post_init__(self) -> None:
        self.content_type = self.content_type or CONTENT_TYPES[self.version]


@dataclass
class Request:
    method: str
    path: str  # relative to /b1s/v1/, unquoted
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names
    cookies: dict[str, str]
    body: bytes
    base_url: str
    version: int = 1  # 1: /b1s/v1/, 2: /b1s/v2/

    @property
    def annotation(self) -> str:
        """The prefix of OData annotations: ``odata.`` (v1) or ``@odata.`` (v2)."""
        return "@odata." if self.version == 2 else "odata."

    def json(self) -> Any:
        if not self.body:
            raise B1Error(400, BAD_REQUEST, "The request body is empty")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise B1Error(400, BAD_REQUEST, f"The request body is not valid JSON: {exc}") from exc

    def option(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


PATH = re.compile(r"^(?P<set>[A-Za-z_]+)(?:\((?P<key>.*)\))?(?:/(?P<tail>\$?[A-Za-z]+))?$")
_KEY_PART = re.compile(r"^\s*(?:(?P<name>[A-Za-z]+)\s*=\s*)?(?P<value>'(?:[^']|'')*'|-?\d+)\s*$")


def parse_key(entity_set: str, text: str) -> Any:
    """``'A1'`` → ``'A1'``, ``12`` → ``12``, ``CardCode='C1',ItemCode='I1'`` → ``('C1', 'I1')`` in key order."""
    names = ENTITY_SETS[entity_set].keys
    parts = re.findall(r"(?:[^,']|'(?:[^']|'')*')+", text)
    if len(parts) != len(names):
        raise B1Error(400, BAD_REQUEST, f"Invalid key '{text}' for {entity_set}")
    values: dict[str, Any] = {}
    for position, part in enumerate(parts):
        match = _KEY_PART.match(part)
        if not match:
            raise B1Error(400, BAD_REQUEST, f"Invalid key '{text}' for {entity_set}")
        name = match["name"] or names[position]
        raw = match["value"]
        values[name] = raw[1:-1].replace("''", "'") if raw.startswith("'") else int(raw)
    if set(values) != set(names):
        raise B1Error(400, BAD_REQUEST, f"Invalid key '{text}' for {entity_set}")
    if len(names) == 1:
        return values[names[0]]
    return tuple(values[name] for name in names)


def page_size_of(request: Request, precedence: str) -> tuple[int, dict[str, str]]:
    """The page size asked for, and the ``Preference-Applied`` header when the ``Prefer`` form was honoured."""
    prefer = None
    for part in request.headers.get("prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize":
            prefer = value.strip()
    b1s = request.headers.get("b1s-pagesize")
    chosen: list[tuple[str, str]] = []
    if prefer is not None:
        chosen.append(("prefer", prefer))
    if b1s is not None:
        chosen.append(("b1s", b1s.strip()))
    if not chosen:
        return DEFAULT_PAGE_SIZE, {}
    chosen.sort(key=lambda pair: pair[0] != precedence)
    source, value = chosen[0]
    if not value.isdigit():
        raise B1Error(400, BAD_REQUEST, f"Invalid page size {value!r}")
    size = int(value)
    return size, ({"Preference-Applied": f"odata.maxpagesize={size}"} if source == "prefer" else {})


def int_option(request: Request, name: str) -> int | None:
    value = request.option(name)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise B1Error(400, BAD_REQUEST, f"Invalid value {value!r} for {name}")
    return int(value)
