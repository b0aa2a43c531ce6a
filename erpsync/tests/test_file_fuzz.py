"""Property tests of the file readers: whatever a file holds, reading it yields records or a ``FeedError``
(never another exception, never a hang), and records written in any supported style read back equal."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpsync.adapters.base import ErpAddress, ErpCustomer, ErpProduct, ErpProductUnit, ErpStock, FeedError
from erpsync.adapters.file import FileAdapter
from erpsync.adapters.file.writer import TextFormat, csv_text, drop, xml_bytes

FUZZ = settings(max_examples=120, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def exchange(**settings_: Any) -> Iterator[tuple[Path, FileAdapter]]:
    # Hypothesis runs many examples per test: each gets its own folder, not a shared pytest tmp_path.
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        yield root, FileAdapter(settings={"root": str(root), **settings_})


def read_or_feed_error(adapter: FileAdapter, entity: str) -> list[Any] | FeedError:
    """The records of the one waiting file, or the ``FeedError`` it raised. Any other exception fails."""
    [feed] = adapter.read(entity)
    try:
        return list(feed.records)
    except FeedError as error:
        assert error.source == feed.source
        return error


# --- arbitrary input --------------------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=2000), entity=st.sampled_from(["product", "customer", "stock", "order_status"]))
def test_arbitrary_bytes_as_csv(data: bytes, entity: str) -> None:
    with exchange() as (root, adapter):
        drop(root / "inbound" / entity, "fuzz.csv", data)
        read_or_feed_error(adapter, entity)


XML_PIECES = st.sampled_from(
    [
        "<Products>",
        "</Products>",
        "<Product>",
        "</Product>",
        "<code>",
        "</code>",
        "<name>",
        "</name>",
        "<unit>",
        "</unit>",
        "<Packs>",
        "</Packs>",
        '<Pack unit="K" factor="2"/>',
        "<vat_rate>",
        "</vat_rate>",
        "<!DOCTYPE x>",
        '<?xml version="1.0"?>',
        '<?xml version="1.0" encoding="ISO-8859-9"?>',
        "&amp;",
        "&x;",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "12,5",
        "1.5",
        "ş",
        "İ",
        "\x00",
        "<",
        ">",
        '"',
        " ",
        "\n",
    ]
)


@FUZZ
@given(
    pieces=st.lists(st.one_of(XML_PIECES, st.text(max_size=5)), max_size=40),
    noise=st.binary(max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1254"]),
)
def test_arbitrary_xml_like_input(pieces: list[str], noise: bytes, encoding: str) -> None:
    data = "".join(pieces).encode(encoding, errors="replace") + noise
    with exchange(max_xml_depth=8) as (root, adapter):
        drop(root / "inbound" / "product", "fuzz.xml", data)
        read_or_feed_error(adapter, "product")


@FUZZ
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_as_xml(data: bytes) -> None:
    with exchange() as (root, adapter):
        drop(root / "inbound" / "customer", "fuzz.xml", data)
        read_or_feed_error(adapter, "customer")


# --- records and their spelling ---------------------------------------------------------------------------

LETTERS = "abcçdefgğhıijklmnoöprsştuüvyzABCÇDEFGĞHIİJKLMNOÖPRSŞTUÜVYZ0123456789"
TEXT_CHARS = LETTERS + " ;,.:-_/\"'|*\t\n"
CODE = st.text(alphabet=LETTERS + ".-_", min_size=1, max_size=12)
TEXT = st.text(alphabet=TEXT_CHARS, min_size=1, max_size=30).map(str.strip).filter(bool)
OPTIONAL_TEXT = st.one_of(st.just(""), TEXT)
AMOUNT = st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False, allow_infinity=False)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5, minutes=-30))])
MOMENT = st.one_of(st.none(), st.datetimes(timezones=ZONES))

STOCK = st.builds(ErpStock, product_code=CODE, warehouse_code=CODE, on_hand=AMOUNT, committed=AMOUNT, as_of=MOMENT)
PACK = st.builds(
    ErpProductUnit,
    unit=st.text(alphabet=LETTERS, min_size=1, max_size=6),
    factor=st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    barcode=st.one_of(st.just(""), st.text(alphabet="0123456789", min_size=1, max_size=13)),
    sellable=st.booleans(),
)
PRODUCT = st.builds(
    ErpProduct,
    code=CODE,
    name=TEXT,
    unit=CODE,
    name_en=OPTIONAL_TEXT,
    vat_rate=st.one_of(st.none(), AMOUNT),
    description=OPTIONAL_TEXT,
    min_order_qty=st.one_of(st.none(), AMOUNT),
    batch_managed=st.booleans(),
    active=st.booleans(),
    units=st.lists(PACK, max_size=3).map(tuple),
    updated_at=MOMENT,
)
ADDRESS = st.builds(
    ErpAddress,
    code=CODE,
    name=TEXT,
    line1=TEXT,
    city=TEXT,
    kind=st.sampled_from(["shipping", "billing"]),
    line2=OPTIONAL_TEXT,
    is_default=st.booleans(),
)
CUSTOMER = st.builds(
    ErpCustomer,
    code=CODE,
    title=TEXT,
    tax_number=CODE,
    payment_terms_days=st.one_of(st.none(), st.integers(min_value=-(10**6), max_value=10**6)),
    active=st.booleans(),
    addresses=st.lists(ADDRESS, max_size=3).map(tuple),
    updated_at=MOMENT,
)


def unique_codes(records: list[Any]) -> list[Any]:
    """One record per code: consecutive customers with one code would rightly merge into one."""
    seen: dict[str, Any] = {}
    for record in records:
        seen.setdefault(getattr(record, "code", None) or id(record), record)
    return list(seen.values())


ENTITY_RECORDS = st.one_of(
    st.tuples(st.just("stock"), st.lists(STOCK, max_size=6)),
    st.tuples(st.just("product"), st.lists(PRODUCT, max_size=4).map(unique_codes)),
    st.tuples(st.just("customer"), st.lists(CUSTOMER, max_size=4).map(unique_codes)),
)
WORDS = st.sampled_from([("1", "0"), ("Evet", "Hayır"), ("true", "false"), ("E", "H"), ("YES", "no")])


@ROUND_TRIP
@given(
    entity_records=ENTITY_RECORDS,
    delimiter=st.sampled_from([";", ",", "\t", "|"]),
    mark=st.sampled_from([",", "."]),
    thousands=st.booleans(),
    date_format=st.sampled_from(["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"]),
    words=WORDS,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1254", "iso-8859-9", "utf-16"]),
    explicit=st.booleans(),
)
def test_records_round_trip_through_csv(
    entity_records: tuple[str, list[Any]],
    delimiter: str,
    mark: str,
    thousands: bool,
    date_format: str,
    words: tuple[str, str],
    encoding: str,
    explicit: bool,
) -> None:
    entity, records = entity_records
    if delimiter == mark:
        delimiter = ";"
    fmt = TextFormat(decimal_mark=mark, thousands=thousands, date_format=date_format, yes=words[0], no=words[1])
    text = csv_text(entity, records, delimiter=delimiter, fmt=fmt)
    options = {
        "delimiter": delimiter,
        "decimal": mark,
        "date_format": [date_format],
        "encoding": encoding if explicit else "auto",
    }
    with exchange(entities={entity: options}) as (root, adapter):
        drop(root / "inbound" / entity, f"{entity}.csv", text.encode(encoding))
        assert read_or_feed_error(adapter, entity) == records


@ROUND_TRIP
@given(
    entity_records=ENTITY_RECORDS,
    encoding=st.sampled_from(["UTF-8", "UTF-16", "ISO-8859-9", "windows-1254"]),
    words=WORDS,
)
def test_records_round_trip_through_xml(
    entity_records: tuple[str, list[Any]], encoding: str, words: tuple[str, str]
) -> None:
    entity, records = entity_records
    data = xml_bytes(entity, records, encoding=encoding, fmt=TextFormat(decimal_mark=".", yes=words[0], no=words[1]))
    with exchange() as (root, adapter):
        drop(root / "inbound" / entity, f"{entity}.xml", data)
        assert read_or_feed_error(adapter, entity) == records


# --- valid files, corrupted -------------------------------------------------------------------------------

CORRUPTION = st.one_of(
    st.tuples(st.just("insert"), st.integers(min_value=0), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(min_value=0), st.integers(min_value=1, max_value=20)),
    st.tuples(st.just("truncate"), st.integers(min_value=0), st.just(0)),
    st.tuples(st.just("flip"), st.integers(min_value=0), st.integers(min_value=1, max_value=255)),
)


def corrupt(data: bytes, corruptions: list[tuple[str, int, Any]]) -> bytes:
    for action, position, argument in corruptions:
        at = position % (len(data) + 1)
        if action == "insert":
            data = data[:at] + argument + data[at:]
        elif action == "delete":
            data = data[:at] + data[at + argument :]
        elif action == "truncate":
            data = data[:at]
        elif data:
            at %= len(data)
            data = data[:at] + bytes([data[at] ^ argument]) + data[at + 1 :]
    return data


@FUZZ
@given(
    entity_records=ENTITY_RECORDS,
    corruptions=st.lists(CORRUPTION, min_size=1, max_size=4),
    xml=st.booleans(),
)
def test_corrupted_files_give_records_or_feed_error(
    entity_records: tuple[str, list[Any]], corruptions: list[tuple[str, int, Any]], xml: bool
) -> None:
    entity, records = entity_records
    data = xml_bytes(entity, records) if xml else csv_text(entity, records).encode("utf-8")
    with exchange() as (root, adapter):
        drop(root / "inbound" / entity, f"{entity}.{'xml' if xml else 'csv'}", corrupt(data, corruptions))
        result = read_or_feed_error(adapter, entity)
    if isinstance(result, list):
        assert all(isinstance(record, type(records[0])) for record in result) if records else True
