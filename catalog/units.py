"""Units of measure as a reader sees them: the unit's name in the reader's language and a quantity with the unit's
decimal places ("465,5 Metre", "12 Piece"), for the live catalogue and for codes snapshotted on order lines.

The few units are read in one query and cached; saving or deleting a unit drops the cache (``catalog/apps.py``),
and an ERP import's bulk writes are picked up within ``CACHE_SECONDS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.utils import translation

from b2bportal.money import format_quantity
from catalog.models import Unit

CACHE_KEY = "catalog:units"
CACHE_SECONDS = 60 * 5


@dataclass(frozen=True)
class UnitName:
    code: str
    name: str
    name_en: str
    decimals: int

    @property
    def display_name(self) -> str:
        if (translation.get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name or self.code


def units_by_code() -> dict[str, UnitName]:
    units = cache.get(CACHE_KEY)
    if units is None:
        rows = Unit.objects.values_list("code", "name", "name_en", "decimals")
        units = {row[0]: UnitName(*row) for row in rows}
        cache.set(CACHE_KEY, units, CACHE_SECONDS)
    return units


def units_forget(**_kwargs) -> None:
    cache.delete(CACHE_KEY)


def _unit(unit: Unit | UnitName | str | None) -> Unit | UnitName | None:
    if isinstance(unit, str):
        return units_by_code().get(unit) or UnitName(unit, unit, "", 3)
    return unit


def unit_name(unit: Unit | UnitName | str | None) -> str:
    """The unit's name in the reader's language; a code the catalogue does not know is shown as it is."""
    found = _unit(unit)
    return found.display_name if found is not None else ""


def quantity_with_unit(quantity, unit: Unit | UnitName | str | None) -> str:
    """``465,5 Metre``: the quantity with at most the unit's decimal places, then the unit's name."""
    found = _unit(unit)
    if found is None:
        return format_quantity(quantity)
    return f"{format_quantity(quantity, max_places=found.decimals)} {found.display_name}"
