"""CAMT.053 without ``Acct/Ccy``: the currency is the one every amount carries, and a statement whose amounts
disagree is refused; camt.052 and camt.054 stay out, and the upload form says so."""

import pytest
from django.urls import reverse

from payments.statements.camt053_format import parse_camt053
from payments.statements.importer import statement_import
from payments.statements.records import StatementError
from payments.tests.statement_files import CAMT_V02, sample

# An intraday camt.053 naming the account by IBAN only, with interim balances (ITBD, CLAV) and Ccy on each amount.
NO_ACCT_CCY = "camt053_no-acct-ccy_2025-03-10.xml"


def test_the_currency_is_taken_from_the_amounts_when_they_agree():
    [statement] = parse_camt053(sample(NO_ACCT_CCY), file_name=NO_ACCT_CCY)

    assert statement.currency == "TRY"
    assert [line.currency for line in statement.lines] == ["TRY"] * 3


def test_a_statement_with_balances_but_no_account_currency_still_reads_as_before():
    data = sample(CAMT_V02).replace(b"<Ccy>TRY</Ccy>", b"")

    assert parse_camt053(data, file_name=CAMT_V02)[0].currency == "TRY"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'<Amt Ccy="TRY">20.00</Amt>\n        <CdtDbtInd>DBIT',
         b'<Amt Ccy="EUR">20.00</Amt>\n        <CdtDbtInd>DBIT'),
        (b'<Amt Ccy="TRY">1020.00</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>\n        <Dt><Dt>',
         b'<Amt Ccy="USD">1020.00</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>\n        <Dt><Dt>'),
    ],
)  # fmt: skip
def test_amounts_in_several_currencies_without_an_account_currency_are_refused(old, new):
    data = sample(NO_ACCT_CCY)
    assert old in data

    with pytest.raises(StatementError) as caught:
        parse_camt053(data.replace(old, new), file_name=NO_ACCT_CCY)

    assert caught.value.field == "Acct/Ccy" and caught.value.line == 8
    assert "several currencies" in caught.value.message


def test_a_statement_without_any_currency_is_refused():
    data = sample(NO_ACCT_CCY).replace(b' Ccy="TRY"', b"")

    with pytest.raises(StatementError, match="no currency"):
        parse_camt053(data, file_name=NO_ACCT_CCY)


@pytest.mark.django_db
def test_it_imports_and_meets_the_mt940_of_the_same_day():
    statement_import(
        file_name="mt940_nonref_2025-03-10.sta", data=sample("mt940_nonref_2025-03-10.sta"), format="mt940"
    )

    result = statement_import(file_name=NO_ACCT_CCY, data=sample(NO_ACCT_CCY), format="camt053")

    assert result.statement.currency == "TRY"
    assert (result.created, result.duplicates) == (0, 3)


@pytest.mark.django_db
def test_the_upload_form_says_camt_052_and_054_are_not_accepted(staff_client):
    html = staff_client.get(reverse("admin:payments_bankstatement_import"), HTTP_ACCEPT_LANGUAGE="en").content
    assert b"camt.052" in html and b"camt.054" in html and b"not accepted" in html
