"""The CSV profiles staff can choose: the ones added in the admin (``BankCsvProfile``), else the shipped ones."""

from __future__ import annotations

from payments.models import BankCsvProfile
from payments.statements.profiles import CsvProfile, built_in_profiles, profile_from_settings


def profile_names() -> list[str]:
    """Every profile name staff can choose: shipped and added in the admin."""
    return sorted(set(built_in_profiles()) | set(BankCsvProfile.objects.values_list("name", flat=True)))


def csv_profile(name: str) -> CsvProfile | None:
    """The profile called ``name``: one added in the admin, else a shipped one; ``None`` if there is none.
    Raises ``ProfileError`` for a stored profile whose settings no longer validate."""
    stored = BankCsvProfile.objects.filter(name=name).first()
    if stored is not None:
        return profile_from_settings(stored.name, stored.settings)
    return built_in_profiles().get(name)
