"""The sample statement files under data/ and small edits of them for the statement tests."""

from pathlib import Path

DATA = Path(__file__).parent / "data"

ACCOUNT = "TR190006200012345678901234"  # the portal owner's account in the MT940, CAMT and signed-amount CSV samples
MT940 = "statement_tgba_2025-03-03.sta"
CAMT_V02 = "camt053_v02_2025-03-04.xml"
CAMT_V08 = "camt053_v08_2025-03-06.xml"
CSV_SIGNED = "hareketler_tr-signed-amount.csv"
CSV_DEBIT_CREDIT = "hareketler_tr-debit-credit.csv"
CSV_DEBIT_CREDIT_ACCOUNT = "TR570006700010000000123456"
CSV_DIRECTION = "hareketler_tr-comma-direction.csv"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def mt940_text() -> str:
    """The MT940 sample as text (it is stored in Windows-1254 with CRLF line ends)."""
    return sample(MT940).decode("cp1254")


def edited_mt940(old: str, new: str) -> bytes:
    text = mt940_text()
    assert old in text, old
    return text.replace(old, new).encode("cp1254")


# --- MT940 files as Dutch, Swiss and Polish banks wrap them ------------------------------------------------------
# The headers, envelopes and trailers follow the banks' files published in open-source MT940 parsers' test
# corpora; the statements inside are our own (one account, one day, two lines adding up):
# - ING SWIFT envelope, one block a line: the libmt94x notes on ING's "Mijn ING Zakelijk" MT940 and
#   railslove/cmxl issue #9; all blocks on one line with {3:{108:…}}: libmt94x's ING-provided examples;
# - PostFinance: sandermarechal/jejik-mt940 tests/Jejik/Tests/MT940/Fixture/document/postfinance.txt (the next
#   message's header after "-}" on the same line, a "{5:{MAC:…}{CHK:…}}" trailer);
# - ABN AMRO "ABNANL2A / 940 / ABNANL2A" before each message: wolph/mt940 mt940_tests/jejik/abnamro.sta;
# - Rabobank ":940:" above the first statement: wolph/mt940 mt940_tests/jejik/rabobank.sta;
# - bunq "BUNQNL2A / 940 / BUNQNL2A": a-fas/mt940js issue #22;
# - ING's older export header "0000 01INGBNL2AXXXX00001 … 940 00" and "-XXX" trailer: wolph/mt940 tests/jejik/ing.sta;
# - SOH (0x01) before and ETX (0x03) after a message, as mBank and PostFinance transmit them.

SOH, ETX = "\x01", "\x03"


def dutch_statement(
    account: str, number: int, *, day: int = 3, currency: str = "EUR", bank_reference: str = "00000000001"
) -> list[str]:
    """Statement ``number`` of an account, of ``day`` March 2025: opening balance + 250.00 - 40.00 = closing."""
    opening = 1000 + (number - 1) * 210
    return [
        f":20:P2503{day:02d}00000000{number}",
        f":25:{account}",
        f":28C:{number:05d}",
        f":60F:C2503{day - 1:02d}{currency}{opening},00",
        f":61:2503{day:02d}03{day:02d}C250,00NTRFEREF//{bank_reference}{number}",
        "/TRCD/00100/",
        f":86:/EREF/INV-2025-{number:04d}//CNTP/NL91ABNA0417164300/ABNANL2A/ANADOLU BV///REMI/USTD//INV {number}/",
        f":61:2503{day:02d}03{day:02d}D40,00NMSCNONREF//{bank_reference}9{number}",
        ":86:/REMI/USTD//KOSTEN BETALINGSVERKEER/",
        f":62F:C2503{day:02d}{currency}{opening + 210},00",
    ]


def ing_enveloped(*, messages: int = 1, one_line_header: bool = False, trailer: str = "") -> bytes:
    """ING's MT940: each message in a SWIFT envelope, "{1:…}", "{2:…}", "{4:" a line each (or on one line with a
    "{3:{108:…}}" block), closed by "-}" and an optional trailer block."""
    lines = []
    for number in range(1, messages + 1):
        if one_line_header:
            lines.append(
                f"{{1:F01INGBNL2ABXXX0000000000}}{{2:I940INGBNL2AXXXN}}{{3:{{108:B1234567800000{number}}}}}{{4:"
            )
        else:
            lines += ["{1:F01INGBNL2ABXXX0000000000}", "{2:I940INGBNL2AXXXN}", "{4:"]
        lines += dutch_statement("NL20INGB0001234567EUR", number, day=2 + number)
        lines.append(f":64:C2503{2 + number:02d}EUR{1000 + number * 210},00")
        lines.append("-}" + trailer)
    return ("\r\n".join(lines) + "\r\n").encode()


def postfinance_chained() -> bytes:
    """PostFinance: SOH, the first header, and every further header right after the "-}" that ends a message;
    the last message ends with the MAC/CHK trailer and ETX."""
    header = "{1:F01POFICHBEAXXX0000000000}{2:I940XXXXXXXXXXXXN}{3:{108:250303CH00000000}}{4:"
    first = dutch_statement("CH9300762011623852957", 1, currency="CHF")
    second = dutch_statement("CH9300762011623852957", 2, day=4, currency="CHF")
    text = "\n".join([SOH + header, *first, "-}" + header, *second, "-}{5:{MAC:00000000}{CHK:000000000000}}" + ETX])
    return (text + "\n").encode()


def abn_amro() -> bytes:
    """ABN AMRO: "ABNANL2A", "940", "ABNANL2A" above each statement, "-" after it."""
    lines = []
    for number in (1, 2):
        lines += ["ABNANL2A", "940", "ABNANL2A", *dutch_statement("NL91ABNA0417164300", number, day=2 + number), "-"]
    return ("\r\n".join(lines) + "\r\n").encode()


def rabobank() -> bytes:
    """Rabobank: ":940:" above the first statement, statements separated by an empty line."""
    first = dutch_statement("NL44RABO0123456789EUR", 1)
    second = dutch_statement("NL44RABO0123456789EUR", 2, day=4)
    return ("\r\n".join([":940:", *first, "", *second]) + "\r\n").encode()


def bunq() -> bytes:
    """bunq: its BIC, "940" and its BIC again above the statement."""
    lines = ["BUNQNL2A", "940", "BUNQNL2A", *dutch_statement("NL23BUNQ2025123456", 1), "-"]
    return ("\n".join(lines) + "\n").encode()


def ing_legacy() -> bytes:
    """ING's older export: "0000 01INGBNL2AXXXX00001" twice and "940 00" above, "-XXX" below."""
    lines = ["0000 01INGBNL2AXXXX00001", "0000 01INGBNL2AXXXX00001", "940 00"]
    lines += [*dutch_statement("NL20INGB0001234567", 1), "-XXX"]
    return ("\r\n".join(lines) + "\r\n").encode()


def mbank_soh() -> bytes:
    """mBank: SOH on the first line, the statement, "-" and ETX."""
    lines = [SOH, *dutch_statement("PL61109010140000071219812874", 1, currency="PLN"), "-", ETX]
    return ("\r\n".join(lines) + "\r\n").encode()


BANK_LAYOUTS = {
    "ing-envelope": ing_enveloped,
    "ing-envelope-one-line-several-messages": lambda: ing_enveloped(messages=3, one_line_header=True),
    "ing-envelope-trailer-blocks": lambda: ing_enveloped(messages=2, trailer="{5:{CHK:0123456789AB}}"),
    "postfinance-soh-chained": postfinance_chained,
    "abn-amro": abn_amro,
    "rabobank": rabobank,
    "bunq": bunq,
    "ing-legacy": ing_legacy,
    "mbank-soh": mbank_soh,
}


def long_mt940(transactions: int) -> bytes:
    """One statement of the portal owner's account with ``transactions`` incoming transfers of 10.00 each (two
    file lines a transfer), for the tests of long statements."""
    lines = ["{1:F01TGBATRISAXXX0000000000}{2:O9400000250304TGBATRISAXXX00000000002503040000N}{4:",
             ":20:STMT20250303", f":25:{ACCOUNT}", ":28C:00062/1", ":60F:C250303TRY0,00"]  # fmt: skip
    for n in range(1, transactions + 1):
        lines.append(f":61:2503030303C10,00NTRFNONREF//BRF{n:010d}")
        lines.append(f":86:EFT GELEN BAYI {n} FATURA F-2025-{n:06d}")
    lines += [f":62F:C250303TRY{transactions * 10},00", "-}"]
    return ("\r\n".join(lines) + "\r\n").encode()
