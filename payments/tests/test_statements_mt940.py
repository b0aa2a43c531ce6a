"""MT940 parsing: several statements per file, the forms of :86: Turkish banks use, and refusals with the line."""

import logging
from datetime import date
from decimal import Decimal

import pytest

from payments.statements.mt940_format import parse_mt940
from payments.statements.records import StatementError
from payments.tests.statement_files import (
    ACCOUNT,
    BANK_LAYOUTS,
    MT940,
    edited_mt940,
    ing_enveloped,
    mt940_text,
    sample,
)


def parse(data: bytes):
    return parse_mt940(data, file_name="test.sta")


def refusal(data: bytes) -> StatementError:
    with pytest.raises(StatementError) as caught:
        parse(data)
    return caught.value


def test_reads_every_statement_of_the_file_with_balances_and_lines():
    first, second = parse(sample(MT940))

    assert (first.account, first.currency, first.statement_id) == (ACCOUNT, "TRY", "00062/1")
    assert (first.opening_balance, first.closing_balance) == (Decimal("10000.00"), Decimal("25250.00"))
    assert (first.period_start, first.period_end) == (date(2025, 3, 3), date(2025, 3, 3))
    assert [line.amount for line in first.lines] == [Decimal("12500.00"), Decimal("4000.00"), Decimal("-1250.00")]
    assert [line.line for line in first.lines] == [6, 8, 10]
    assert second.statement_id == "00063/1" and second.period_end == date(2025, 3, 4)
    assert [line.amount for line in second.lines] == [Decimal("2000.00")] * 2 + [Decimal("0.00"), Decimal("750.00")]


def test_structured_86_gives_name_iban_and_purpose():
    line = parse(sample(MT940))[0].lines[0]

    assert line.counterparty_name == "ANADOLU YAPI MALZ. LTD STI"
    assert line.counterparty_iban == "TR150001000000001234567890"
    assert line.description == "HAVALE GELEN FATURA F-2025-0001 VKN 1234567890"
    assert line.bank_reference == "BRF2503030001"
    assert line.booking_date == date(2025, 3, 3) and line.value_date == date(2025, 3, 3)


def test_plain_86_keeps_turkish_letters_and_yields_the_iban_written_in_it():
    line = parse(sample(MT940))[0].lines[1]

    assert line.description == "EFT GELEN ŞAHİN TİCARET TR63 0004 6000 0000 0000 0543 21 SİPARİŞ B2B-000123"
    assert line.counterparty_iban == "TR630004600000000000054321"
    assert line.counterparty_name == ""


def test_slash_coded_86_and_utf8_files():
    lines = parse(mt940_text().encode("utf-8"))[1].lines

    assert lines[0].counterparty_name == "KARADENİZ İNŞAAT"
    assert lines[0].counterparty_iban == "TR790011100000000011223344"
    assert lines[0].description == "CARI HESAP ODEMESI"
    assert lines[3].counterparty_iban == "TR150001000000001234567891"  # as written; the importer validates it


def test_the_own_account_in_the_text_is_not_the_counterparty():
    data = edited_mt940("KIRA ODEMESI MART 2025", f"VIRMAN {ACCOUNT} HESABINDAN")

    assert parse(data)[0].lines[2].counterparty_iban == ""


def test_86_wrapped_at_65_characters_is_joined_without_inventing_spaces():
    wrapped = "EFT GELEN DOGU TICARET ODEME ICIN FATURA NUMARASI F-2025-00001234"
    assert len(wrapped) == 65
    data = edited_mt940("KIRA ODEMESI MART 2025", f"{wrapped}\r\n56 MART\r\nSON")

    assert parse(data)[0].lines[2].description == f"{wrapped}56 MART SON"


def test_information_after_the_closing_balance_is_not_added_to_the_last_line():
    data = edited_mt940(":62F:C250303TRY25250,00\r\n", ":62F:C250303TRY25250,00\r\n:86:SAYIN MUSTERIMIZ, BILGINIZE\r\n")

    assert parse(data)[0].lines[2].description == "KIRA ODEMESI MART 2025"


def test_truncated_file_is_refused_with_the_line():
    error = refusal(sample("mt940_truncated.sta"))

    assert error.line == 22 and error.field == ":62F:"
    assert "truncated" in error.message
    assert str(error) == f"test.sta, line 22, :62F:: {error.message}"


def test_lines_that_do_not_add_up_are_refused():
    error = refusal(edited_mt940(":62F:C250303TRY25250,00", ":62F:C250303TRY25251,00"))

    assert error.line == 2 and "do not add up" in error.message


def test_a_wrong_amount_is_caught_by_the_balances():
    error = refusal(edited_mt940(":61:2503030303C12500,00NTRF", ":61:2503030303C1250,00NTRF"))

    assert "do not add up" in error.message


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        (":61:2503030303C4000,00", ":61:2513030303C4000,00", 8, ":61:"),  # month 13
        (":60F:C250303TRY10000,00", ":60F:C250303TRYABC", 5, ":60F:"),
        (":61:2503030303D1250,00NMSC", ":61:ODEME 1250", 10, ":61:"),
    ],
)
def test_a_field_that_cannot_be_read_is_refused_with_its_line(old, new, line, field):
    error = refusal(edited_mt940(old, new))

    assert (error.line, error.field) == (line, field)
    assert "cannot be read" in error.message


def test_text_outside_any_field_is_refused():
    error = refusal(b"Hesap hareketleri\r\n" + sample(MT940))

    assert error.line == 1


def test_a_file_without_statement_is_refused():
    csv_error = refusal(b"Tarih;Tutar\n01.03.2025;100,00\n")
    envelope_only = refusal(b"{1:F01TGBATRISAXXX0000000000}{2:O940}{4:\r\n\r\n-}\r\n")

    assert csv_error.line == 1 and "outside any MT940 field" in csv_error.message
    assert "No MT940 statement" in envelope_only.message


def test_a_statement_without_account_or_opening_balance_is_refused():
    assert refusal(edited_mt940(":25:TR190006200012345678901234\r\n:28C:00062/1", ":28C:00062/1")).field == ":25:"
    assert refusal(edited_mt940(":60F:C250303TRY10000,00\r\n", "")).field == ":60F:"


def test_lines_without_transaction_type_stay_apart_and_keep_their_reference():
    # Without the four-letter type code the package would fold the next :61: into this one, or read "NONR" as the
    # code and "EF" as the reference.
    data = edited_mt940(
        ":61:2503040304C2000,00NTRFNONREF\r\n:86:/NAME/KARADEN", ":61:2503040304C2000,00\r\n:86:/NAME/KARADEN"
    )
    data = data.replace(
        b":61:2503040304C750,00NTRFNONREF//BRF2503040004", b":61:2503040304C750,00NONREF//BRF2503040004"
    )

    lines = parse(data)[1].lines

    assert [line.amount for line in lines] == [Decimal("2000.00")] * 2 + [Decimal("0.00"), Decimal("750.00")]
    assert [line.bank_reference for line in lines] == ["", "", "BRF2503040003", "BRF2503040004"]
    assert lines[0].description == lines[1].description == "CARI HESAP ODEMESI"


def test_binary_data_is_refused():
    assert "not a text file" in refusal(b":20:X\n\x00\x01").message


STATEMENTS_PER_FILE = {
    "ing-envelope": 1,
    "ing-envelope-one-line-several-messages": 3,
    "ing-envelope-trailer-blocks": 2,
    "postfinance-soh-chained": 2,
    "abn-amro": 2,
    "rabobank": 2,
    "bunq": 1,
    "ing-legacy": 1,
    "mbank-soh": 1,
}


@pytest.mark.parametrize("layout", sorted(BANK_LAYOUTS))
def test_bank_headers_envelopes_and_trailers_are_read(layout):
    statements = parse(BANK_LAYOUTS[layout]())

    assert len(statements) == STATEMENTS_PER_FILE[layout]
    for number, statement in enumerate(statements, start=1):
        assert [line.amount for line in statement.lines] == [Decimal("250.00"), Decimal("-40.00")]
        assert statement.closing_balance - statement.opening_balance == Decimal("210.00")
        assert statement.statement_id == f"{number:05d}"
        assert statement.lines[0].bank_reference == f"00000000001{number}"


def test_enveloped_messages_keep_the_line_of_each_statement():
    statements = parse(BANK_LAYOUTS["postfinance-soh-chained"]())

    # SOH+header on line 1, :20: on line 2; the second header follows "-}" on line 12, its :20: is on line 13.
    assert [statement.line for statement in statements] == [2, 13]
    assert [line.line for line in statements[1].lines] == [17, 20]


@pytest.mark.parametrize(
    ("data", "line", "text"),
    [
        (b"Hesap hareketleri\r\n" + ing_enveloped(), 1, "Hesap hareketleri"),
        # A BIC above the statement without the "940" line of the ABN AMRO and bunq preamble.
        (b"ABNANL2A\r\n" + BANK_LAYOUTS["rabobank"]().replace(b":940:\r\n", b""), 1, "ABNANL2A"),
        # Anything between two messages other than an envelope or a preamble.
        (ing_enveloped(messages=2).replace(b"-}\r\n{1:", b"-}\r\nSAYFA 2/2\r\n{1:", 1), 16, "SAYFA 2/2"),
        (BANK_LAYOUTS["abn-amro"]().replace(b"-\r\nABNANL2A", b"-\r\nABNANL2A\r\nDEVAM", 1), 16, "DEVAM"),
        # A field the package does not know, after the trailer, is no envelope either.
        (BANK_LAYOUTS["bunq"]() + b":99:SAYFA SONU\n", 15, ":99:SAYFA SONU"),
    ],
)
def test_other_text_around_the_messages_is_refused_with_its_line(data, line, text):
    error = refusal(data)

    assert error.line == line
    assert error.message == f"Text outside any MT940 field: {text!r}."


def test_an_undecodable_byte_is_named_with_its_own_line_and_position():
    # Windows-1254 text (its Turkish letters are no UTF-8 from line 9 on) with a byte Windows-1254 does not
    # define, late in the file: the refusal points at that byte, not at the first Turkish letter.
    data = sample(MT940).replace(b"SIPARIS B2B", b"SIPARIS \x81B2B")

    error = refusal(data)

    assert error.line == 26
    assert error.message == "The text cannot be read as utf-8 / cp1254: byte 0x81 at position 69 of the line."


@pytest.mark.parametrize("closing", [":62F:C250303TR25250,00", ":62F:C250303TRY25250,0X", ":62F:C250303TRY"])
def test_an_unreadable_closing_balance_is_refused_as_such_with_its_line(closing):
    error = refusal(edited_mt940(":62F:C250303TRY25250,00", closing))

    assert (error.line, error.field) == (12, ":62F:")
    assert error.message.startswith(f"The closing balance cannot be read: {closing[5:]!r}")


def test_an_unreadable_opening_balance_is_refused_as_such():
    error = refusal(edited_mt940(":60F:C250303TRY25250,00", ":60F:C250303TRY25.250,00"))

    assert (error.line, error.field) == (18, ":60F:")
    assert "opening balance cannot be read" in error.message


def test_an_unreadable_field_is_logged_once_as_a_warning_and_the_package_stays_quiet(caplog):
    caplog.set_level(logging.DEBUG)

    error = refusal(edited_mt940(":61:2503030303C4000,00", ":61:2513030303C4000,00"))

    records = [(record.name, record.levelno, record.getMessage()) for record in caplog.records]
    assert records == [
        (
            "payments.statements.mt940_format",
            logging.WARNING,
            f"test.sta, line 8, :61:: {error.message}",
        )
    ]
    assert logging.getLogger("mt940.tags").getEffectiveLevel() <= logging.WARNING  # quiet only while reading
