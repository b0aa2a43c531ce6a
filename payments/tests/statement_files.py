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
