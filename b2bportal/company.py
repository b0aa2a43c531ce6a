"""The seller's own details from settings that more than one page needs.

``B2B_COMPANY_IBAN`` (``COMPANY_IBAN`` in the environment) holds the bank account(s) dealers pay into: one IBAN as
before, or several separated by commas, each optionally preceded by its bank's name and a colon::

    COMPANY_IBAN="Ziraat Bankası: TR33 0006 1005 1978 6457 8413 26, Akbank: TR12 0004 6000 0000 0000 0000 01"
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class BankAccount:
    bank: str
    iban: str  # without spaces

    @property
    def iban_grouped(self) -> str:
        """The IBAN in groups of four, as it is printed and read out ("TR33 0006 1005 …")."""
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))


def company_bank_accounts(value: str | None = None) -> list[BankAccount]:
    """The accounts in ``value`` (default: ``B2B_COMPANY_IBAN``), in the order given; empty entries are skipped."""
    text = settings.B2B_COMPANY_IBAN if value is None else value
    accounts = []
    for entry in (text or "").split(","):
        bank, _colon, iban = entry.rpartition(":")
        iban = "".join(iban.split()).upper()
        if iban:
            accounts.append(BankAccount(bank=bank.strip(), iban=iban))
    return accounts


def company_contact() -> str:
    """The seller as a dealer is told to contact them: its name, with its e-mail and phone where configured
    ("Volta A.Ş. (destek@volta.example, +90 212 555 00 00)")."""
    details = ", ".join(part for part in (settings.B2B_COMPANY_EMAIL, settings.B2B_COMPANY_PHONE) if part)
    name = settings.B2B_COMPANY_NAME
    return f"{name} ({details})" if details else name
