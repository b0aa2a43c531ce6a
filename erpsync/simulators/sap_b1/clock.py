"""The company server's clock (frozen or running, in the company's zone) and SAP's date and time spellings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """The company's idea of "now" for ``UpdateDate``/``UpdateTime`` and default document dates.

    Runs with the wall clock of the company's zone (local times without a zone, as SAP stores them) until ``set``
    freezes it; ``advance`` moves a frozen clock (or shifts a running one).
    """

    def __init__(self, zone: str = "Europe/Istanbul") -> None:
        self.zone = ZoneInfo(zone)
        self._frozen: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(self.zone).replace(tzinfo=None, microsecond=0) + self._offset

    def set(self, when: datetime) -> None:
        self._frozen = when.replace(microsecond=0)

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def unfreeze(self) -> None:
        self._frozen = None
        self._offset = timedelta()


def day(value: date | datetime) -> str:
    return value.strftime("%Y-%m-%d")


def clock_time(value: datetime) -> str:
    return value.strftime("%H:%M:%S")
