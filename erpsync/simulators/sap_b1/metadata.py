"""The simulated Service Layer's entity types, read from ``metadata.xml``: a subset of a real ``$metadata`` (the
types the portal reads and writes, with every property they have; see the file's header for its source).

Everything the simulator takes or gives is checked against it: request bodies (nested rows included), ``$select``,
``$filter``, ``$orderby`` and ``$expand`` name properties of the entity type or a user-defined field the company
declared (``U_…``); enum properties take only their enum's member names. Rows go out at the full width of their
type (a property the company does not hold is shown with its type's empty value), so payload sizes are a real
company's: an item's stock rows have the 66 properties of ``ItemWarehouseInfo``.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erpsync.simulators.sap_b1.errors import BAD_REQUEST, B1Error

METADATA_FILE = Path(__file__).with_name("metadata.xml")
_EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
NAMESPACE = "SAPB1."


@dataclass(frozen=True)
class Udf:
    """A user-defined field of one entity type, as a company declares it (``CUFD``): name with ``U_``, its Edm
    type, whether SAP requires it on add, and the value it takes when none is given."""

    name: str
    type: str = "Edm.String"
    mandatory: bool = False
    default: Any = None


@dataclass(frozen=True)
class Property:
    name: str
    type: str  # "Edm.String", "SAPB1.BoYesNoEnum", "Collection(SAPB1.DocumentLine)" …

    @property
    def element(self) -> str:
        """The type of one value: ``SAPB1.DocumentLine`` for ``Collection(SAPB1.DocumentLine)``."""
        return self.type[len("Collection(") : -1] if self.is_collection else self.type

    @property
    def is_collection(self) -> bool:
        return self.type.startswith("Collection(")


class Metadata:
    """Entity and complex types, their properties in ``$metadata`` order, navigation properties and enums."""

    def __init__(self, path: Path = METADATA_FILE) -> None:
        root = ET.parse(path).getroot()  # noqa: S314 - our own test data file
        self.types: dict[str, dict[str, Property]] = {}
        self.navigation: dict[str, dict[str, str]] = {}
        self.enums: dict[str, tuple[str, ...]] = {}
        for node in root.iter():
            tag = node.tag.removeprefix(_EDM)
            if tag in ("EntityType", "ComplexType"):
                name = node.get("Name", "")
                self.types[name] = {
                    child.get("Name", ""): Property(child.get("Name", ""), child.get("Type", ""))
                    for child in node
                    if child.tag == f"{_EDM}Property"
                }
                self.navigation[name] = {
                    child.get("Name", ""): child.get("Type", "").removeprefix(NAMESPACE)
                    for child in node
                    if child.tag == f"{_EDM}NavigationProperty"
                }
            elif tag == "EnumType":
                self.enums[node.get("Name", "")] = tuple(m.get("Name", "") for m in node if m.tag == f"{_EDM}Member")
        self._defaults: dict[str, dict[str, Any]] = {}

    def properties(self, type_name: str) -> dict[str, Property]:
        return self.types[type_name]

    def names(self, type_name: str, udfs: Mapping[str, Udf] | None = None) -> list[str]:
        """Every property of ``type_name`` and the company's UDFs of it, in ``$metadata`` order."""
        return [*self.types[type_name], *(udfs or {})]

    def enum_of(self, prop: Property) -> tuple[str, ...] | None:
        name = prop.element.removeprefix(NAMESPACE)
        return self.enums.get(name) if prop.element.startswith(NAMESPACE) else None

    def complex_of(self, prop: Property) -> str | None:
        name = prop.element.removeprefix(NAMESPACE)
        return name if prop.element.startswith(NAMESPACE) and name in self.types else None

    def empty_value(self, prop: Property) -> Any:
        """What SAP shows for a property nobody filled: an empty collection, 0 for numbers, the enum's first
        member (``tNO`` for ``BoYesNoEnum``), null otherwise."""
        if prop.is_collection:
            return []
        if prop.type == "Edm.Double":
            return 0.0
        members = self.enum_of(prop)
        if members:
            return members[0]
        return None

    def defaults(self, type_name: str) -> dict[str, Any]:
        """A row of ``type_name`` with every property at its empty value (shared: copy before changing)."""
        found = self._defaults.get(type_name)
        if found is None:
            found = {name: self.empty_value(prop) for name, prop in self.types[type_name].items()}
            self._defaults[type_name] = found
        return found

    # -- checks ------------------------------------------------------------------------------------------------

    def check(self, type_name: str, payload: Any, udfs: Mapping[str, Mapping[str, Udf]]) -> None:
        """Refuse a body naming a property ``type_name`` does not have (the Service Layer's -1000 "Property 'X' of
        'T' is invalid"), an enum value that is not a member, or a collection that is not a list of objects; nested
        rows are checked against their own types."""
        if not isinstance(payload, dict):
            raise B1Error(400, BAD_REQUEST, f"The value of '{type_name}' must be an object")
        props = self.types[type_name]
        own_udfs = udfs.get(type_name, {})
        for name, value in payload.items():
            prop = props.get(name)
            if prop is None:
                if name in own_udfs:
                    continue
                raise invalid_property(name, type_name)
            if value is None:
                continue
            members = self.enum_of(prop)
            if members is not None and not prop.is_collection:
                if not isinstance(value, str) or value not in members:
                    raise B1Error(400, BAD_REQUEST, f"Enum value '{value}' of property '{name}' is invalid")
                continue
            element = self.complex_of(prop)
            if element is None:
                continue
            if prop.is_collection:
                if not isinstance(value, list):
                    raise B1Error(400, BAD_REQUEST, f"Property '{name}' of '{type_name}' must be a collection")
                for row in value:
                    self.check(element, row, udfs)
            else:
                self.check(element, value, udfs)

    def known(self, type_name: str, names: Iterable[str], udfs: Mapping[str, Udf]) -> None:
        """Refuse a ``$select`` naming a property that ``type_name`` does not have."""
        props = self.types[type_name]
        for name in names:
            if name not in props and name not in udfs:
                raise invalid_property(name, type_name)

    # -- output ------------------------------------------------------------------------------------------------

    def render(
        self,
        type_name: str,
        row: Mapping[str, Any],
        udfs: Mapping[str, Mapping[str, Udf]],
        *,
        version: int,
        select: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """``row`` as the Service Layer shows it: every property of the type (or those of ``select``) and the
        company's UDFs of it, nested rows at their full width too; dates as v2 spells them
        (``2024-05-01T00:00:00Z``) when ``version`` is 2."""
        props = self.types[type_name]
        own_udfs = udfs.get(type_name, {})
        names = list(select) if select is not None else [*props, *own_udfs]
        out: dict[str, Any] = {}
        defaults = self.defaults(type_name)
        for name in names:
            prop = props.get(name)
            if prop is None:
                udf = own_udfs.get(name)
                out[name] = row.get(name, udf.default if udf else None)
                continue
            value = row[name] if name in row else defaults[name]
            if value is None:
                out[name] = None
                continue
            element = self.complex_of(prop)
            if element is not None:
                if prop.is_collection:
                    value = [self.render(element, item, udfs, version=version) for item in value]
                elif isinstance(value, Mapping):
                    value = self.render(element, value, udfs, version=version)
            elif version == 2 and prop.type == "Edm.DateTimeOffset" and isinstance(value, str) and len(value) == 10:
                value = f"{value}T00:00:00Z"
            elif isinstance(value, list | dict):
                value = json_copy(value)
            out[name] = value
        return out


def json_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


def invalid_property(name: str, type_name: str) -> B1Error:
    """The Service Layer's answer to an unknown property in a body or ``$select``: HTTP 400, code -1000."""
    return B1Error(400, BAD_REQUEST, f"Property '{name}' of '{type_name}' is invalid")


@functools.cache
def metadata() -> Metadata:
    return Metadata()
