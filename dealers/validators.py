"""Validation of Turkish tax numbers and IBANs (python-stdnum), shared by forms, admin and imports."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import ean, iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.tr import tckimlik, vkn


def normalize_tax_number(value: str) -> str:
    return "".join(ch for ch in str(value) if not ch.isspace())


def validate_tax_number(value: str) -> None:
    """A VKN (10 digits, companies) or a TCKN (11 digits, sole traders), checksum included."""
    number = normalize_tax_number(value)
    try:
        if len(number) == 10:
            vkn.validate(number)
        elif len(number) == 11:
            tckimlik.validate(number)
        else:
            raise StdnumError()
    except StdnumError:
        raise ValidationError(
            _("%(value)s is not a valid tax number (VKN: 10 digits, TCKN: 11 digits)."),
            code="invalid_tax_number",
            params={"value": value},
        ) from None


def validate_gln(value: str) -> None:
    """A GS1 Global Location Number: 13 digits with the GS1 check digit."""
    try:
        if len(value) != 13:
            raise StdnumError()
        ean.validate(value)
    except StdnumError:
        raise ValidationError(
            _("%(value)s is not a valid GLN (13 digits with a check digit)."),
            code="invalid_gln",
            params={"value": value},
        ) from None


def normalize_iban(value: str) -> str:
    return iban.compact(value)


def validate_iban(value: str) -> None:
    try:
        iban.validate(value)
    except StdnumError:
        raise ValidationError(
            _("%(value)s is not a valid IBAN."), code="invalid_iban", params={"value": value}
        ) from None
