"""CAMT.053 parsing: versions 001.02 to 001.08, batch entries, and what is refused (other messages, XML bombs,
external entities, malformed or incomplete documents)."""

import time
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from payments.statements import camt053_format
from payments.statements.camt053_format import parse_camt053
from payments.statements.records import StatementError
from payments.tests.statement_files import ACCOUNT, CAMT_V02, CAMT_V08, sample

V02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def parse(data: bytes):
    return parse_camt053(data, file_name="test.xml")


def refusal(data: bytes) -> StatementError:
    with pytest.raises(StatementError) as caught:
        parse(data)
    return caught.value


def edited(name: str, old: str, new: str) -> bytes:
    text = sample(name).decode("utf-8")
    assert old in text, old
    return text.replace(old, new, 1).encode("utf-8")


def test_version_02_statement_with_balances_parties_and_references():
    (statement,) = parse(sample(CAMT_V02))

    assert (statement.account, statement.currency, statement.statement_id) == (ACCOUNT, "TRY", "STMT20250304")
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("25250.00"), Decimal("30000.00"))
    assert (statement.period_start, statement.period_end) == (date(2025, 3, 4), date(2025, 3, 4))
    first, second, third = statement.lines
    assert replace(first, line=None) == replace(second, line=None)  # two equal transfers on one day: two lines
    assert (first.counterparty_name, first.counterparty_iban) == ("KARADENİZ İNŞAAT", "TR790011100000000011223344")
    assert (first.description, first.bank_reference) == ("CARI HESAP ODEMESI", "")  # NOTPROVIDED is no reference
    assert (third.amount, third.bank_reference, third.line) == (Decimal("750.00"), "BRF2503040004", 69)


def test_version_08_batch_is_split_pending_left_out_debit_negative():
    (statement,) = parse(sample(CAMT_V08))

    assert statement.opening_balance == Decimal("31134.66")  # PRCD stands in for a missing OPBD
    assert statement.closing_balance == Decimal("37314.16")
    assert [(line.amount, line.counterparty_name, line.bank_reference) for line in statement.lines] == [
        (Decimal("3000.00"), "ANADOLU YAPI MALZ. LTD STI", "BRF2503060001-1"),
        (Decimal("2000.00"), "ŞAHİN TİCARET", "BRF2503060001-2"),
        (Decimal("-320.50"), "BANKA MASRAFI", "BRF2503060002"),
        (Decimal("1500.00"), "KARADENİZ İNŞAAT", "E2E-778899"),
    ]
    assert statement.lines[1].description == "SİPARİŞ B2B-000125"
    assert statement.lines[2].description == "EFT MASRAFI"
    assert statement.lines[3].description == "F-2025-0004"  # structured creditor reference
    assert statement.lines[3].booking_date == date(2025, 3, 6)  # from a DtTm


def test_batch_whose_details_do_not_add_up_stays_one_line():
    data = edited(
        CAMT_V08,
        '<Amt Ccy="TRY">2000.00</Amt>\n            <CdtDbtInd>CRDT',
        '<Amt Ccy="TRY">1999.00</Amt>\n            <CdtDbtInd>CRDT',
    )

    first = parse(data)[0].lines[0]

    assert first.amount == Decimal("5000.00") and first.bank_reference == "BRF2503060001"
    assert first.description == "FATURA F-2025-0002 SİPARİŞ B2B-000125"


@pytest.mark.parametrize("version", range(2, 9))
def test_every_accepted_version(version):
    data = sample(CAMT_V02).replace(V02.encode(), f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version:02d}".encode())

    assert len(parse(data)[0].lines) == 3


@pytest.mark.parametrize(
    "namespace",
    ["urn:iso:std:iso:20022:tech:xsd:camt.053.001.09", "urn:iso:std:iso:20022:tech:xsd:camt.053.001.01", ""],
)
def test_other_versions_are_refused(namespace):
    data = sample(CAMT_V02).replace(f' xmlns="{V02}"'.encode(), f' xmlns="{namespace}"'.encode() if namespace else b"")

    error = refusal(data)

    assert error.line == 2 and "not a CAMT.053 statement" in error.message


def test_another_camt_message_is_refused():
    error = refusal(sample("camt053_wrong_namespace.xml"))

    assert error.line == 2 and "camt.052.001.02" in error.message


def test_billion_laughs_is_refused_without_expanding():
    started = time.monotonic()
    error = refusal(sample("camt053_billion_laughs.xml"))

    assert "DTD" in error.message and error.line == 2
    assert time.monotonic() - started < 1


def test_external_entity_is_refused():
    error = refusal(sample("camt053_external_entity.xml"))

    assert "entity" in error.message and "root:" not in error.message


def test_malformed_xml_is_refused_with_line_and_column():
    text = sample(CAMT_V02).decode()
    error = refusal(text[: text.index("<Ntry>", text.index("<Ntry>") + 1) + 20].encode())

    assert "Not well-formed XML" in error.message and error.line == 52


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>", "<CdtDbtInd>CR</CdtDbtInd>\n        <Sts>", "CdtDbtInd"),
        ('<Amt Ccy="TRY">2000.00</Amt>', '<Amt Ccy="TRY">2.000,00</Amt>', "Amt"),
        ('<Amt Ccy="TRY">2000.00</Amt>', '<Amt Ccy="TRY">2000.005</Amt>', "Amt"),
        ("<BookgDt><Dt>2025-03-04</Dt></BookgDt>", "<BookgDt><Dt>04.03.2025</Dt></BookgDt>", "BookgDt"),
        ("<BookgDt><Dt>2025-03-04</Dt></BookgDt>", "", "BookgDt"),
        ('<Amt Ccy="TRY">2000.00</Amt>', '<Amt Ccy="EUR">2000.00</Amt>', "Amt"),
    ],
)
def test_an_entry_that_cannot_be_read_is_refused_with_its_line(old, new, field):
    error = refusal(edited(CAMT_V02, old, new))

    assert error.field == field and 30 <= error.line <= 40


def test_entries_that_do_not_add_up_are_refused():
    error = refusal(edited(CAMT_V02, '<Amt Ccy="TRY">30000.00</Amt>', '<Amt Ccy="TRY">30000.01</Amt>'))

    assert "do not add up" in error.message and error.line == 8


def test_statement_without_account_is_refused():
    error = refusal(edited(CAMT_V02, "<Id><IBAN>TR190006200012345678901234</IBAN></Id>", ""))

    assert error.field == "Acct/Id" and error.line == 8


def test_deep_nesting_is_refused():
    deep = "<a>" * 40 + "</a>" * 40
    error = refusal(edited(CAMT_V02, "<GrpHdr>", f"<GrpHdr>{deep}"))

    assert "nest deeper" in error.message


def test_oversized_file_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(camt053_format, "MAX_STATEMENT_BYTES", 1000)

    assert "too large" in refusal(sample(CAMT_V02)).message
