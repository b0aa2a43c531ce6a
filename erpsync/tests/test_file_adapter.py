"""The file adapter: settings, encodings, value formats, layout, feed settlement, safety and outbound files."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from defusedxml.ElementTree import fromstring  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from erpsync.adapters import adapter_classes  # noqa: E402
from erpsync.adapters.base import (  # noqa: E402
    Capability,
    DocumentKind,
    ErpAddress,
    ErpCancel,
    ErpCustomer,
    ErpOrderState,
    ErpProductUnit,
    ErpStock,
    FeedError,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.file import FileAdapter  # noqa: E402
from erpsync.adapters.file.writer import drop  # noqa: E402
from erpsync.tests.contract import sample_credit_memo, sample_order, sample_payment  # noqa: E402

TURKISH = "ğüşıöçĞÜŞİÖÇ"
PRODUCT_HEADER = "code;name;unit"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "exchange"
    folder.mkdir()
    return folder


def make(root: Path, **settings: Any) -> FileAdapter:
    return FileAdapter(settings={"root": str(root), **settings})


def put(root: Path, entity: str, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    return drop(root / "inbound" / entity, name, data.encode(encoding) if isinstance(data, str) else data)


def read_one(adapter: FileAdapter, entity: str) -> list[Any]:
    feeds = list(adapter.read(entity))
    assert len(feeds) == 1, [feed.source for feed in feeds]
    return list(feeds[0].records)


def read_error(adapter: FileAdapter, entity: str) -> FeedError:
    feeds = list(adapter.read(entity))
    assert len(feeds) == 1
    with pytest.raises(FeedError) as caught:
        list(feeds[0].records)
    return caught.value


# --- settings ----------------------------------------------------------------------------------------------


def test_registry_resolves_the_file_adapter() -> None:
    assert adapter_classes()["file"] is FileAdapter


def test_valid_settings_are_accepted(root: Path) -> None:
    adapter = make(
        root,
        timezone="UTC",
        max_file_bytes=1000,
        entities={
            "stock": {
                "delimiter": "tab",
                "encoding": "Windows-1254",
                "decimal": ".",
                "date_format": "%d/%m/%Y",
                "columns": {"product_code": "STOK KODU"},
                "snapshot": False,
            }
        },
    )
    options = adapter.config.entities["stock"]
    assert (options.delimiter, options.encoding, options.decimal_mark, options.snapshot) == ("\t", "cp1254", ".", False)
    assert adapter.config.entities["product"].delimiter == ";"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"root": ""}, "root"),
        ({"root": "relative/path"}, "absolute"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"max_file_bytes": 0}, "max_file_bytes"),
        ({"max_xml_depth": "deep"}, "max_xml_depth"),
        ({"entities": {"products": {}}}, "unknown entities"),
        ({"entities": {"product": {"delimeter": ","}}}, "unknown options delimeter"),
        ({"entities": {"product": {"delimiter": ";;"}}}, "delimiter"),
        ({"entities": {"product": {"delimiter": '"'}}}, "delimiter"),
        ({"entities": {"product": {"encoding": "ebcdic"}}}, "encoding"),
        ({"entities": {"product": {"decimal": ";"}}}, "decimal"),
        ({"entities": {"product": {"decimal": ",", "delimiter": ","}}}, "decimal mark and the delimiter"),
        ({"entities": {"product": {"date_format": "%d.%m"}}}, "date_format"),
        ({"entities": {"product": {"date_format": "%d.%m.%y"}}}, "date_format"),
        ({"entities": {"product": {"columns": {"code": ""}}}}, "columns"),
        ({"entities": {"product": {"columns": {"code": "KOD", "name": "kod"}}}}, "same header"),
        ({"entities": {"product": {"snapshot": "yes"}}}, "snapshot"),
    ],
)
def test_bad_settings_are_refused(tmp_path: Path, settings: dict, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        FileAdapter(settings={"root": str(tmp_path), **settings})


def test_capabilities() -> None:
    assert FileAdapter.capabilities >= {Capability.PRODUCTS, Capability.DOCUMENTS, Capability.CREDIT_MEMO_PUSH}
    assert not FileAdapter.capabilities & {Capability.DELTA, Capability.LIVE_STOCK, Capability.LIVE_BALANCE}


# --- encodings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "cp1254", "iso-8859-9", "utf-16"])
@pytest.mark.parametrize("setting", ["auto", "explicit"])
def test_csv_encodings_round_trip_turkish_letters(root: Path, codec: str, setting: str) -> None:
    put(root, "product", "p.csv", f"{PRODUCT_HEADER}\nP1;Çay {TURKISH};AD\n", codec)
    adapter = make(root, entities={"product": {"encoding": codec if setting == "explicit" else "auto"}})
    [product] = read_one(adapter, "product")
    assert product.name == f"Çay {TURKISH}"
    assert product.code == "P1"


def test_csv_in_the_wrong_explicit_encoding_names_the_line(root: Path) -> None:
    put(root, "product", "p.csv", f"{PRODUCT_HEADER}\nP1;Ok;AD\nP2;{TURKISH};AD\n", "cp1254")
    error = read_error(make(root, entities={"product": {"encoding": "utf-8"}}), "product")
    assert (error.source, error.line) == ("p.csv", 3)
    assert "utf-8" in error.message


def test_auto_encoding_refuses_bytes_that_are_neither_utf8_nor_windows_1254(root: Path) -> None:
    put(root, "product", "p.csv", PRODUCT_HEADER.encode() + b"\nP1;A\x81B;AD\n")
    error = read_error(make(root), "product")
    assert (error.source, error.line) == ("p.csv", 2)
    assert "81" in error.message


@pytest.mark.parametrize(
    ("data", "settings"),
    [
        (
            f'<?xml version="1.0" encoding="ISO-8859-9"?><Products><Product><code>P1</code><name>{TURKISH}</name>'
            "<unit>AD</unit></Product></Products>".encode("iso-8859-9"),
            {},
        ),
        (
            f'<?xml version="1.0" encoding="UTF-16"?><Products><Product code="P1" name="{TURKISH}" unit="AD"/>'
            "</Products>".encode("utf-16"),
            {},
        ),
        (f"<Products><Product code='P1' name='{TURKISH}' unit='AD'/></Products>".encode("cp1254"), {}),
        (f"<Products><Product code='P1' name='{TURKISH}' unit='AD'/></Products>".encode("utf-8-sig"), {}),
        (
            f'<?xml version="1.0" encoding="UTF-8"?><Products><Product code="P1" name="{TURKISH}" unit="AD"/>'
            "</Products>".encode("cp1254"),
            {"entities": {"product": {"encoding": "windows-1254"}}},
        ),
    ],
    ids=["declared-iso-8859-9", "utf-16-bom", "undeclared-windows-1254", "utf-8-bom", "configured-override"],
)
def test_xml_encodings_round_trip_turkish_letters(root: Path, data: bytes, settings: dict) -> None:
    put(root, "product", "p.xml", data)
    [product] = read_one(make(root, **settings), "product")
    assert (product.code, product.name) == ("P1", TURKISH)


# --- delimiters, headers, values ------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiters(root: Path, delimiter: str) -> None:
    rows = [["product_code", "warehouse_code", "on_hand"], ["P1", "IST", "12"], ["P;2", "A,NK", "3"]]
    text = "\n".join(
        delimiter.join(f'"{cell}"' if delimiter in cell or ";" in cell else cell for cell in row) for row in rows
    )
    put(root, "stock", "s.csv", text + "\n")
    adapter = make(root, entities={"stock": {"delimiter": "tab" if delimiter == "\t" else delimiter, "decimal": "."}})
    records = read_one(adapter, "stock")
    assert [(r.product_code, r.warehouse_code, r.on_hand) for r in records] == [
        ("P1", "IST", Decimal("12")),
        ("P;2", "A,NK", Decimal("3")),
    ]


def test_header_mapping_ignores_case_spaces_and_turkish_i(root: Path) -> None:
    put(
        root,
        "stock",
        "s.csv",
        " STOK KODU ;Ambar;MİKTAR;Rezerve;Fazladan Sütun\nP1;IST;1.234,5;2;x\n",
    )
    adapter = make(
        root,
        entities={
            "stock": {
                "columns": {
                    "product_code": "Stok Kodu",
                    "warehouse_code": "AMBAR",
                    "on_hand": "miktar",
                    "committed": "rezerve",
                }
            }
        },
    )
    assert read_one(adapter, "stock") == [ErpStock("P1", "IST", Decimal("1234.5"), Decimal("2"))]


def test_missing_required_column_is_named_on_line_1(root: Path) -> None:
    put(root, "stock", "s.csv", "STOK KODU;on_hand\nP1;2\n")
    adapter = make(root, entities={"stock": {"columns": {"product_code": "STOK KODU", "warehouse_code": "AMBAR"}}})
    error = read_error(adapter, "stock")
    assert (error.source, error.line, error.column) == ("s.csv", 1, "AMBAR")


def test_a_column_named_twice_is_refused(root: Path) -> None:
    put(root, "unit", "u.csv", "code;Code\nAD;AD\n")
    error = read_error(make(root), "unit")
    assert (error.line, error.column) == (1, "code")


def test_empty_optional_values_take_record_defaults(root: Path) -> None:
    put(root, "stock", "s.csv", "product_code;warehouse_code;on_hand;committed;as_of\nP1;IST;5;;\n")
    assert read_one(make(root), "stock") == [ErpStock("P1", "IST", Decimal("5"))]


def test_empty_required_value_names_line_and_column(root: Path) -> None:
    put(root, "stock", "s.csv", "product_code;warehouse_code;on_hand\nP1;IST;5\nP2; ;5\n")
    error = read_error(make(root), "stock")
    assert (error.source, error.line, error.column) == ("s.csv", 3, "warehouse_code")
    assert "empty" in error.message


@pytest.mark.parametrize(
    ("text", "mark", "value"),
    [
        ("1.234.567,125", ",", Decimal("1234567.125")),
        ("-12,5", ",", Decimal("-12.5")),
        ("1234567,1", ",", Decimal("1234567.1")),
        ("0", ",", Decimal("0")),
        ("1,234,567.125", ".", Decimal("1234567.125")),
        ("+3.25", ".", Decimal("3.25")),
    ],
)
def test_decimals(root: Path, text: str, mark: str, value: Decimal) -> None:
    put(root, "stock", "s.csv", f'product_code;warehouse_code;on_hand\nP1;IST;"{text}"\n')
    [stock] = read_one(make(root, entities={"stock": {"decimal": mark, "delimiter": ";"}}), "stock")
    assert stock.on_hand == value


@pytest.mark.parametrize(
    ("text", "mark"),
    [("12.50", ","), ("1,5", "."), ("NaN", ","), ("Infinity", "."), ("1e5", "."), ("1.2.3", ","), ("", ",")],
)
def test_bad_decimals_name_line_and_column(root: Path, text: str, mark: str) -> None:
    put(root, "stock", "s.csv", f"product_code;warehouse_code;Miktar\nP1;IST;5\nP1;IST;{text}\n")
    adapter = make(root, entities={"stock": {"decimal": mark, "columns": {"on_hand": "miktar"}}})
    error = read_error(adapter, "stock")
    assert (error.source, error.line, error.column) == ("s.csv", 3, "Miktar")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("01.03.2026", date(2026, 3, 1)),
        (" 1.3.2026 ", date(2026, 3, 1)),
    ],
)
def test_dates(root: Path, text: str, expected: date) -> None:
    put(root, "price_list", "l.csv", f"code;name;valid_from\nBAYI;Bayi;{text}\n")
    [price_list] = read_one(make(root), "price_list")
    assert price_list.valid_from == expected


def test_configured_date_format(root: Path) -> None:
    put(root, "price_list", "l.csv", "code;name;valid_from\nBAYI;Bayi;01/03/2026\n")
    [price_list] = read_one(make(root, entities={"price_list": {"date_format": ["%d/%m/%Y"]}}), "price_list")
    assert price_list.valid_from == date(2026, 3, 1)


@pytest.mark.parametrize("text", ["31.02.2026", "2026-13-01", "yesterday", "01/03/2026"])
def test_bad_dates_name_line_and_column(root: Path, text: str) -> None:
    put(root, "price_list", "l.csv", f"code;name;valid_from\nBAYI;Bayi;{text}\n")
    error = read_error(make(root), "price_list")
    assert (error.line, error.column) == (2, "valid_from")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T14:30:00+03:00", datetime(2026, 3, 1, 11, 30, tzinfo=UTC)),
        ("2026-03-01T11:30:00Z", datetime(2026, 3, 1, 11, 30, tzinfo=UTC)),
        ("2026-03-01 14:30", datetime(2026, 3, 1, 14, 30, tzinfo=ZoneInfo("Europe/Istanbul"))),
        ("01.03.2026 14:30:15", datetime(2026, 3, 1, 14, 30, 15, tzinfo=ZoneInfo("Europe/Istanbul"))),
        ("01.03.2026", datetime(2026, 3, 1, tzinfo=ZoneInfo("Europe/Istanbul"))),
    ],
)
def test_datetimes_without_offset_are_read_in_the_erp_time_zone(root: Path, text: str, expected: datetime) -> None:
    put(root, "stock", "s.csv", f"product_code;warehouse_code;on_hand;as_of\nP1;IST;1;{text}\n")
    [stock] = read_one(make(root), "stock")
    assert stock.as_of == expected
    assert stock.as_of.tzinfo is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", True),
        ("0", False),
        ("TRUE", True),
        ("false", False),
        ("Yes", True),
        ("no", False),
        ("Evet", True),
        ("EVET", True),
        ("Hayır", False),
        ("HAYIR", False),
        ("hayir", False),
        ("E", True),
        ("h", False),
    ],
)
def test_booleans(root: Path, text: str, expected: bool) -> None:
    put(root, "warehouse", "w.csv", f"code;name;sellable\nIST;İstanbul;{text}\n")
    [warehouse] = read_one(make(root), "warehouse")
    assert warehouse.sellable is expected


@pytest.mark.parametrize("text", ["maybe", "2", "var", "-"])
def test_bad_booleans_name_line_and_column(root: Path, text: str) -> None:
    put(root, "warehouse", "w.csv", f"code;name;sellable\nIST;İstanbul;{text}\n")
    error = read_error(make(root), "warehouse")
    assert (error.line, error.column) == (2, "sellable")


def test_integers(root: Path) -> None:
    put(root, "unit", "u.csv", "code;decimals\nKG;3\nAD;1,5\n")
    error = read_error(make(root), "unit")
    assert (error.line, error.column) == (3, "decimals")


# --- nested records ---------------------------------------------------------------------------------------


def test_packs_in_csv(root: Path) -> None:
    put(
        root,
        "product",
        "p.csv",
        f"{PRODUCT_HEADER};packs\nP1;Çay;AD;KOLI*12*8690000000012|PAKET*6| DS * 2,5 ** hayır\nP2;Su;AD;\n",
    )
    first, second = read_one(make(root), "product")
    assert first.units == (
        ErpProductUnit("KOLI", Decimal("12"), "8690000000012"),
        ErpProductUnit("PAKET", Decimal("6")),
        ErpProductUnit("DS", Decimal("2.5"), sellable=False),
    )
    assert second.units == ()


@pytest.mark.parametrize("packs", ["KOLI", "KOLI*12*1*1*1", "KOLI*on iki", "*12"])
def test_bad_packs_name_the_packs_column(root: Path, packs: str) -> None:
    put(root, "product", "p.csv", f"{PRODUCT_HEADER};Ambalaj\nP1;Çay;AD;{packs}\n")
    error = read_error(make(root, entities={"product": {"columns": {"packs": "ambalaj"}}}), "product")
    assert (error.line, error.column) == (2, "Ambalaj")


def test_packs_in_xml_as_attributes_or_elements(root: Path) -> None:
    put(
        root,
        "product",
        "p.xml",
        "<Products><Product><code>P1</code><name>Çay</name><unit>AD</unit><Packs>"
        '<Pack unit="KOLI" factor="12" barcode="8690000000012"/><Pack><unit>PAKET</unit><factor>6.5</factor>'
        "<sellable>0</sellable></Pack></Packs></Product></Products>",
    )
    [product] = read_one(make(root), "product")
    assert product.units == (
        ErpProductUnit("KOLI", Decimal("12"), "8690000000012"),
        ErpProductUnit("PAKET", Decimal("6.5"), sellable=False),
    )


CUSTOMER_HEADER = "code;title;tax_number;address_code;address_name;address_line1;address_city;address_default"


def test_consecutive_customer_rows_form_one_customer_with_addresses(root: Path) -> None:
    put(
        root,
        "customer",
        "c.csv",
        f"{CUSTOMER_HEADER}\n"
        "C1;Öztürk Gıda;123;MERKEZ;Merkez;Cad. 1;İstanbul;evet\n"
        "C1;;;DEPO;Depo;Sok. 2;Kocaeli;\n"
        "C2;Çiğdem;456;;;;;\n"
        "C1;Öztürk Gıda;123;SUBE;Şube;Yol 3;Bursa;\n",
    )
    records = read_one(make(root), "customer")
    assert [(c.code, c.title, [a.code for a in c.addresses]) for c in records] == [
        ("C1", "Öztürk Gıda", ["MERKEZ", "DEPO"]),
        ("C2", "Çiğdem", []),
        ("C1", "Öztürk Gıda", ["SUBE"]),  # not consecutive: passed through, the importer judges duplicates
    ]
    assert records[0].addresses[0] == ErpAddress("MERKEZ", "Merkez", "Cad. 1", "İstanbul", is_default=True)


def test_incomplete_address_names_line_and_column(root: Path) -> None:
    put(root, "customer", "c.csv", f"{CUSTOMER_HEADER}\nC1;A;1;M;Merkez;Cad. 1;İstanbul;1\nC1;;;DEPO;Depo;;Kocaeli;\n")
    error = read_error(make(root), "customer")
    assert (error.line, error.column) == (3, "address_line1")


def test_customer_addresses_in_xml(root: Path) -> None:
    put(
        root,
        "customer",
        "c.xml",
        "<Customers><Customer><code>C1</code><title>Öztürk</title><tax_number>1</tax_number><Addresses>"
        "<Address><code>M</code><name>Merkez</name><line1>Cad. 1</line1><city>İstanbul</city>"
        "<default>true</default></Address></Addresses></Customer></Customers>",
    )
    assert read_one(make(root), "customer") == [
        ErpCustomer("C1", "Öztürk", "1", addresses=(ErpAddress("M", "Merkez", "Cad. 1", "İstanbul", is_default=True),))
    ]


# --- status files and documents --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("partially_shipped", ErpOrderState.PARTIALLY_SHIPPED),
        ("Kısmi Sevk", ErpOrderState.PARTIALLY_SHIPPED),
        ("SEVK EDİLDİ", ErpOrderState.SHIPPED),
        ("faturalandı", ErpOrderState.INVOICED),
        ("İptal", ErpOrderState.CANCELLED),
        ("açık", ErpOrderState.OPEN),
        ("Kapalı", ErpOrderState.CLOSED),
    ],
)
def test_order_status_states(root: Path, word: str, state: ErpOrderState) -> None:
    put(root, "order_status", "s.csv", f"reference;state;document_number\nB2B-1;{word};SIP-1\n")
    [status] = read_one(make(root), "order_status")
    assert (status.reference, status.state, status.document_number) == ("B2B-1", state, "SIP-1")


def test_unknown_order_state_is_refused(root: Path) -> None:
    put(root, "order_status", "s.csv", "reference;state\nB2B-1;uçtu\n")
    error = read_error(make(root), "order_status")
    assert (error.line, error.column) == (2, "state")


@pytest.mark.parametrize(
    ("entity", "kind"),
    [("delivery", DocumentKind.DELIVERY), ("invoice", DocumentKind.INVOICE), ("credit_memo", DocumentKind.CREDIT_MEMO)],
)
def test_document_kind_comes_from_the_folder(root: Path, entity: str, kind: DocumentKind) -> None:
    put(root, entity, "d.csv", "kind;number;customer_code;issued_on;gross\ninvoice;N-1;C1;04.03.2026;1.250,00\n")
    [document] = read_one(make(root), entity)
    assert (document.kind, document.number, document.gross) == (kind, "N-1", Decimal("1250.00"))


# --- feeds, layout, settlement ----------------------------------------------------------------------------


def test_feed_metadata(root: Path) -> None:
    data = b"code;name\nAD;Adet\n"
    put(root, "unit", "u.csv", data)
    put(root, "order_status", "s.csv", b"reference;state\nB2B-1;open\n")
    adapter = make(root, entities={"unit": {"snapshot": False}})
    [unit_feed] = adapter.read("unit")
    [status_feed] = adapter.read("order_status")
    assert (unit_feed.entity, unit_feed.source, unit_feed.complete, unit_feed.watermark) == (
        "unit",
        "u.csv",
        False,
        None,
    )
    assert unit_feed.digest == hashlib.sha256(data).hexdigest()
    assert status_feed.complete is False
    [product_feed] = [*make(root).read("unit")]
    assert product_feed.complete is True


def test_files_in_name_order_and_temp_names_ignored_until_renamed(root: Path) -> None:
    folder = root / "inbound" / "unit"
    for name in ("b.csv", "a.XML", ".hidden.csv", "~lock.csv", "c.csv.tmp", "d.csv.part", "e.txt"):
        put(root, "unit", name, b"code\nAD\n" if not name.lower().endswith("xml") else b"<Units/>")
    (folder / "sub.csv").mkdir()
    assert [feed.source for feed in make(root).read("unit")] == ["a.XML", "b.csv"]

    os.replace(folder / "c.csv.tmp", folder / "c.csv")

    assert [feed.source for feed in make(root).read("unit")] == ["a.XML", "b.csv", "c.csv"]


def test_records_are_read_lazily(root: Path) -> None:
    put(root, "unit", "u.csv", b"code\nAD\n")
    [feed] = make(root).read("unit")
    (root / "inbound" / "unit" / "u.csv").write_bytes(b"code\nKG\n")  # nothing was parsed yet
    assert [unit.code for unit in feed.records] == ["KG"]


def test_acknowledge_moves_the_file_to_done_with_a_result(root: Path) -> None:
    put(root, "unit", "u.csv", b"code\nAD\n")
    [feed] = make(root).read("unit")
    list(feed.records)

    feed.acknowledge({"created": 1, "total": Decimal("1.5")})
    feed.acknowledge({"created": 99})  # settled already: no effect

    done = root / "inbound" / "unit" / "done"
    assert (done / "u.csv").read_bytes() == b"code\nAD\n"
    result = json.loads((done / "u.csv.result.json").read_text())
    assert result["status"] == "done"
    assert result["summary"] == {"created": 1, "total": "1.5"}
    assert result["digest"] == feed.digest
    assert datetime.fromisoformat(result["processed_at"]).tzinfo is not None
    assert list(make(root).read("unit")) == []


def test_reject_moves_the_file_to_error_with_where_it_failed(root: Path) -> None:
    put(root, "unit", "u.csv", b"code;decimals\nAD;x\n")
    [feed] = make(root).read("unit")
    with pytest.raises(FeedError) as caught:
        list(feed.records)

    feed.reject(caught.value)

    error_dir = root / "inbound" / "unit" / "error"
    assert (error_dir / "u.csv").exists()
    result = json.loads((error_dir / "u.csv.result.json").read_text())
    assert result["status"] == "error"
    assert result["error"] == {
        "type": "FeedError",
        "message": caught.value.message,
        "file": "u.csv",
        "line": 2,
        "column": "decimals",
    }


def test_a_name_clash_in_done_keeps_both_files(root: Path) -> None:
    for content in (b"code\nAD\n", b"code\nKG\n"):
        put(root, "unit", "units.csv", content)
        [feed] = make(root).read("unit")
        feed.acknowledge({})
    done = root / "inbound" / "unit" / "done"
    files = sorted(path.name for path in done.iterdir() if not path.name.endswith(".result.json"))
    assert len(files) == 2
    assert "units.csv" in files
    assert sorted((done / name).read_bytes() for name in files) == [b"code\nAD\n", b"code\nKG\n"]
    assert all((done / f"{name}.result.json").exists() for name in files)


def test_unknown_entity_is_refused_at_call_time(root: Path) -> None:
    with pytest.raises(ValueError, match="orders"):
        make(root).read("orders")


def test_missing_entity_folder_means_nothing_waiting(root: Path) -> None:
    assert list(make(root).read("brand")) == []


def test_read_with_unreachable_root_is_retryable(tmp_path: Path) -> None:
    with pytest.raises(RetryableError, match="not reachable"):
        make(tmp_path / "unmounted").read("unit")


# --- malformed files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b"", 1, None),
        (b"code;name\nAD;Adet;extra\n", 2, None),
        (b"code;name\nAD\n", 2, None),
        (b'code;name\nAD;"Adet\n', 2, None),
        (b'code;name\nAD;"Ad"et\n', 2, None),
        (b"code;name\nAD;A\x00det\n", 2, "name"),
        (b"name\nAdet\n", 1, "code"),
    ],
    ids=["empty", "too-many-cells", "too-few-cells", "unclosed-quote", "stray-quote", "nul", "no-code-column"],
)
def test_malformed_csv_names_file_and_line(root: Path, data: bytes, line: int, column: str | None) -> None:
    put(root, "unit", "bad.csv", data)
    error = read_error(make(root), "unit")
    assert (error.source, error.line, error.column) == ("bad.csv", line, column)
    assert "bad.csv" in str(error)


def test_blank_lines_and_rows_of_empty_cells_are_skipped(root: Path) -> None:
    put(root, "unit", "u.csv", b"code;name\r\n\r\nAD;Adet\r\n;\r\n\r\nKG;Kilo\r\n")
    assert [unit.code for unit in read_one(make(root), "unit")] == ["AD", "KG"]


def test_multiline_quoted_value_keeps_line_numbers_right(root: Path) -> None:
    put(root, "unit", "u.csv", 'code;decimals;name\nAD;0;"Adet\nuzun"\nKG;x;Kilo\n')
    error = read_error(make(root), "unit")
    assert (error.line, error.column) == (4, "decimals")


@pytest.mark.parametrize(
    ("data", "line", "fragment"),
    [
        (b"<Units><Unit><code>AD</code></Unit>", 1, "not well-formed"),
        (b"<Units>\n<Unit><code>AD</Unit>\n</Units>", 2, "not well-formed"),
        (b"<Products><Product/></Products>", 1, "<Units>"),
        (b"<Units>\n<Item><code>AD</code></Item></Units>", 2, "expected <Unit>"),
        (b"<Units>\n<Unit>\n<name>Adet</name></Unit></Units>", 2, "missing"),
        (b'<Units><Unit code="AD"><code>AD</code></Unit></Units>', 1, "twice"),
        (b"<Units><Unit><code>AD</code><decimals>iki</decimals></Unit></Units>", 1, "whole number"),
        (b"", 1, "not well-formed"),
        (b"<Units><Unit><code>&nbsp;</code></Unit></Units>", 1, "undefined entity"),
    ],
    ids=[
        "unclosed",
        "mismatched",
        "wrong-root",
        "wrong-item",
        "missing-required",
        "twice",
        "bad-int",
        "empty",
        "entity",
    ],
)
def test_malformed_xml_names_file_and_line(root: Path, data: bytes, line: int, fragment: str) -> None:
    put(root, "unit", "bad.xml", data)
    error = read_error(make(root), "unit")
    assert (error.source, error.line) == ("bad.xml", line)
    assert fragment in error.message


def test_xml_namespaces_case_and_unknown_elements(root: Path) -> None:
    put(
        root,
        "unit",
        "u.xml",
        b'<?xml version="1.0"?><e:UNITS xmlns:e="urn:erp"><e:unit><e:CODE>AD</e:CODE><Extra><x>1</x></Extra>'
        b"<name>Adet<b>!</b></name></e:unit></e:UNITS>",
    )
    [unit] = read_one(make(root), "unit")
    assert (unit.code, unit.name) == ("AD", "Adet")


# --- safety -----------------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Units><Unit><code>&lol9;</code></Unit></Units>"""


def test_entity_expansion_bomb_is_refused(root: Path) -> None:
    put(root, "unit", "bomb.xml", BILLION_LAUGHS)
    error = read_error(make(root), "unit")
    assert "DOCTYPE" in error.message
    assert error.source == "bomb.xml"


def test_external_entity_is_refused_and_never_read(root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    put(
        root,
        "unit",
        "xxe.xml",
        f'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file://{secret}">]><Units><Unit><code>&x;</code>'
        "</Unit></Units>",
    )
    error = read_error(make(root), "unit")
    assert "DOCTYPE" in error.message
    assert "TOP SECRET" not in str(error)


def test_plain_doctype_is_refused(root: Path) -> None:
    put(root, "unit", "dtd.xml", b'<!DOCTYPE Units SYSTEM "units.dtd"><Units/>')
    assert "DOCTYPE" in read_error(make(root), "unit").message


def test_nesting_deeper_than_the_limit_is_refused(root: Path) -> None:
    put(root, "unit", "deep.xml", b"<Units><Unit><code>AD</code><x>" + b"<x>" * 20 + b"</x>" * 21 + b"</Unit></Units>")
    error = read_error(make(root, max_xml_depth=16), "unit")
    assert "deeper than 16" in error.message
    put(root, "unit", "deep.xml", b"<Units><Unit><code>AD</code><x><x><x></x></x></x></Unit></Units>")
    assert [unit.code for unit in read_one(make(root, max_xml_depth=16), "unit")] == ["AD"]


def test_file_over_the_size_limit_is_refused_unread(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put(root, "unit", "big.csv", b"code\n" + b"AD\n" * 100)
    monkeypatch.setattr("erpsync.adapters.file.adapter.scan", lambda *a, **k: pytest.fail("the file was read"))
    [feed] = make(root, max_file_bytes=100).read("unit")
    with pytest.raises(FeedError, match="more than the limit of 100") as caught:
        list(feed.records)
    assert caught.value.source == "big.csv"
    assert feed.digest == ""


def test_file_at_the_size_limit_is_read(root: Path) -> None:
    data = b"code\nAD\n"
    put(root, "unit", "u.csv", data)
    assert len(read_one(make(root, max_file_bytes=len(data)), "unit")) == 1


def test_symlinks_out_of_the_root_are_ignored(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd.csv").write_bytes(b"code\nROOT\n")
    folder = root / "inbound" / "unit"
    folder.mkdir(parents=True)
    (folder / "leak.csv").symlink_to(outside / "passwd.csv")
    (root / "inside.csv").write_bytes(b"code\nAD\n")
    (folder / "inside.csv").symlink_to(root / "inside.csv")
    (root / "inbound" / "brand").symlink_to(outside, target_is_directory=True)

    assert [feed.source for feed in make(root).read("unit")] == ["inside.csv"]
    assert list(make(root).read("brand")) == []


# --- streaming --------------------------------------------------------------------------------------------


def grouped(number: int) -> str:
    """``number`` with "." between groups of three digits, as a Turkish ERP writes it."""
    return f"{number:,}".replace(",", ".")


def test_a_200000_row_csv_streams_in_flat_memory(root: Path) -> None:
    folder = root / "inbound" / "stock"
    folder.mkdir(parents=True)
    rows = 200_000
    with open(folder / "stock.csv", "w", encoding="cp1254", newline="") as handle:
        handle.write("product_code;warehouse_code;on_hand\r\n")
        for start in range(0, rows, 10_000):
            handle.write("".join(f"ÜRÜN-{n:06d};İST;{grouped(n)},5\r\n" for n in range(start, start + 10_000)))
    [feed] = make(root).read("stock")

    tracemalloc.start()
    try:
        count, last = 0, None
        for record in feed.records:
            count, last = count + 1, record
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == rows
    assert last.product_code == "ÜRÜN-199999"
    assert last.on_hand == Decimal("199999.5")
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_a_large_xml_streams_in_flat_memory(root: Path) -> None:
    folder = root / "inbound" / "stock"
    folder.mkdir(parents=True)
    rows = 20_000
    with open(folder / "stock.xml", "w", encoding="utf-8") as handle:
        handle.write("<StockLevels>\n")
        for start in range(0, rows, 10_000):
            handle.write(
                "".join(
                    f"<Stock><product_code>P{n}</product_code><warehouse_code>IST</warehouse_code>"
                    f"<on_hand>{n}.5</on_hand></Stock>\n"
                    for n in range(start, start + 10_000)
                )
            )
        handle.write("</StockLevels>\n")
    [feed] = make(root).read("stock")

    tracemalloc.start()
    try:
        count = sum(1 for _ in feed.records)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == rows
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# --- outbound ---------------------------------------------------------------------------------------------


def test_order_file_is_well_formed_utf8_with_point_decimals(root: Path) -> None:
    order = sample_order()
    make(root).order_push(order)
    data = (root / "outbound" / "orders" / f"{order.reference}.xml").read_bytes()
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    document = fromstring(data)
    assert (document.tag, document.get("version")) == ("Order", "1")
    assert document.findtext("reference") == order.reference
    assert document.findtext("ordered_on") == "2026-03-01"
    assert document.findtext("gross") == "20258.10"
    assert document.findtext("delivery_address") == order.delivery_address
    assert document.findtext("paid") == "false"
    lines = document.findall("Lines/Line")
    assert [line.findtext("quantity") for line in lines] == ["12", "1.5"]
    assert lines[0].findtext("description") == order.lines[0].description
    assert (root / "outbound" / "sent" / "orders" / f"{order.reference}.xml").read_bytes() == data


def test_outbound_write_is_atomic(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str, bool, bytes]] = []
    real_replace = os.replace

    def watching_replace(source, target) -> None:
        source, target = Path(source), Path(target)
        seen.append((source.name, target.name, target.exists(), source.read_bytes()))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", watching_replace)
    make(root).order_push(sample_order("B2B-1"))

    final_write = seen[0]
    assert final_write[:3] == (".B2B-1.xml.tmp", "B2B-1.xml", False)
    assert final_write[3].rstrip().endswith(b"</Order>")
    assert [entry[1] for entry in seen] == ["B2B-1.xml", "B2B-1.xml"]  # the order, then the ledger copy
    assert not list((root / "outbound" / "orders").glob(".*"))


def test_failed_rename_leaves_no_partial_file_and_is_retryable(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_replace(source, target) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(RetryableError, match="No space left"):
        make(root).order_push(sample_order("B2B-1"))
    assert list((root / "outbound" / "orders").iterdir()) == []
    monkeypatch.undo()
    assert make(root).order_lookup("B2B-1") is None


def test_lookup_via_ledger_after_the_erp_took_the_file(root: Path) -> None:
    adapter = make(root)
    adapter.order_push(sample_order("B2B-1"))
    (root / "outbound" / "orders" / "B2B-1.xml").unlink()

    ack = adapter.order_lookup("B2B-1")

    assert (ack.reference, ack.document_id, ack.state) == ("B2B-1", "file:B2B-1", ErpOrderState.OPEN)


def test_lookup_via_outbound_completes_the_ledger(root: Path) -> None:
    adapter = make(root)
    adapter.order_push(sample_order("B2B-1"))
    ledger = root / "outbound" / "sent" / "orders" / "B2B-1.xml"
    ledger.unlink()

    assert adapter.order_lookup("B2B-1").document_id == "file:B2B-1"
    assert ledger.read_bytes() == (root / "outbound" / "orders" / "B2B-1.xml").read_bytes()


def test_a_second_push_writes_nothing(root: Path) -> None:
    adapter = make(root)
    adapter.order_push(sample_order("B2B-1"))
    (root / "outbound" / "orders" / "B2B-1.xml").unlink()  # the ERP imported it

    adapter.order_push(sample_order("B2B-1"))

    assert list((root / "outbound" / "orders").iterdir()) == []


def test_ledger_failure_after_the_order_is_out_is_outcome_unknown(root: Path) -> None:
    (root / "outbound" / "sent").mkdir(parents=True)
    (root / "outbound" / "sent" / "orders").write_bytes(b"")  # a file where the ledger folder belongs
    adapter = make(root)
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(sample_order("B2B-1"))
    assert adapter.order_lookup("B2B-1") is not None


@pytest.mark.parametrize("kind", ["cancellations", "payments", "credit_memos"])
def test_other_documents_go_to_their_folders(root: Path, kind: str) -> None:
    adapter = make(root)
    if kind == "cancellations":
        ack = adapter.order_cancel(ErpCancel("B2B-1", document_id="file:B2B-1", reason="Vazgeçti"))
        tag = "Cancellation"
    elif kind == "payments":
        ack = adapter.payment_push(sample_payment("PAY-1"))
        tag = "Payment"
    else:
        ack = adapter.credit_memo_push(sample_credit_memo("CM-1"))
        tag = "CreditMemo"
    document = fromstring((root / "outbound" / kind / f"{ack.reference}.xml").read_bytes())
    assert document.tag == tag
    assert document.findtext("reference") == ack.reference
    assert (root / "outbound" / "sent" / kind / f"{ack.reference}.xml").exists()


def test_push_to_an_unreachable_root_is_retryable(tmp_path: Path) -> None:
    adapter = make(tmp_path / "unmounted")
    with pytest.raises(RetryableError, match="not reachable"):
        adapter.order_push(sample_order())
    with pytest.raises(RetryableError):
        adapter.payment_lookup("PAY-1")


def test_push_into_an_unwritable_folder_is_retryable(root: Path) -> None:
    (root / "outbound").mkdir()
    (root / "outbound" / "orders").write_bytes(b"")
    with pytest.raises(RetryableError) as caught:
        make(root).order_push(sample_order())
    assert not isinstance(caught.value, OutcomeUnknownError)


@pytest.mark.parametrize(
    "reference", ["../evil", "a/b", "a\\b", "", ".hidden", "B2B 1", "ŞUBE-1", "x" * 101, "B2B-1.tmp", "-x"]
)
def test_unsafe_references_are_permanent_errors(root: Path, reference: str) -> None:
    adapter = make(root)
    with pytest.raises(PermanentError):
        adapter.order_push(sample_order(reference))
    with pytest.raises(PermanentError):
        adapter.order_lookup(reference)
    assert not (root / "outbound").exists()


def test_values_xml_cannot_carry_are_permanent_errors(root: Path) -> None:
    with pytest.raises(PermanentError, match="note"):
        make(root).order_push(dataclasses.replace(sample_order(), note="bell \x07"))
    with pytest.raises(PermanentError, match="gross"):
        make(root).order_push(dataclasses.replace(sample_order(), gross=Decimal("NaN")))


# --- connection check -------------------------------------------------------------------------------------


def test_connection_check_creates_folders_and_counts_waiting_files(root: Path) -> None:
    put(root, "stock", "s1.csv", b"x")
    put(root, "stock", "s2.xml", b"x")
    put(root, "stock", "s3.csv.tmp", b"x")

    check = make(root).test_connection()

    assert check.ok, check.message
    assert check.details["waiting"]["stock"] == 2
    assert check.details["waiting"]["unit"] == 0
    assert (root / "inbound" / "credit_memo" / "done").is_dir()
    assert (root / "outbound" / "sent" / "payments").is_dir()
    assert not [path for path in (root / "inbound").iterdir() if path.name.startswith(".")]


def test_connection_check_fails_clearly_without_root(tmp_path: Path) -> None:
    check = make(tmp_path / "missing").test_connection()
    assert not check.ok
    assert "does not exist" in check.message


def test_connection_check_fails_clearly_when_the_layout_cannot_be_made(root: Path) -> None:
    (root / "inbound").write_bytes(b"")
    check = make(root).test_connection()
    assert not check.ok
    assert "not usable" in check.message


# --- the documented examples ------------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "file-exchange.md"


def doc_block(after: str, language: str) -> str:
    """The first fenced block of ``language`` after the text ``after`` in docs/file-exchange.md."""
    text = DOCS.read_text(encoding="utf-8")
    start = text.index(f"```{language}\n", text.index(after)) + len(language) + 4
    return text[start : text.index("```", start)]


@pytest.mark.parametrize(
    ("after", "language", "entity", "name", "count"),
    [
        ("inbound/stock/stock-20260301-143000.csv", "", "stock", "stock.csv", 2),
        ("inbound/order_status/status-20260301-150000.xml", "xml", "order_status", "status.xml", 1),
        ("**customer addresses**", "", "customer", "customers.csv", 2),
        ("**customer addresses**", "xml", "customer", "customers.xml", 1),
        ("**product packs**", "xml", "product", "product.xml", None),
    ],
)
def test_documented_examples_read_as_documented(
    root: Path, after: str, language: str, entity: str, name: str, count: int | None
) -> None:
    block = doc_block(after, language).replace("\n  ", "\n").strip()
    if entity == "product":  # the doc shows one record element: wrap it in its root
        block = f"<Products>{block}</Products>"
    encoding = "iso-8859-9" if 'encoding="ISO-8859-9"' in block else "utf-8"
    put(root, entity, name, block + "\n", encoding)
    records = read_one(make(root), entity)
    if count is not None:
        assert len(records) == count
    if entity == "customer" and name.endswith(".csv"):
        assert [len(customer.addresses) for customer in records] == [2, 0]
    if entity == "order_status":
        assert records[0].state is ErpOrderState.PARTIALLY_SHIPPED
    if entity == "product":
        assert [unit.unit for unit in records[0].units] == ["KOLI", "PAKET"]


def test_documented_outbound_example_matches_what_is_written(root: Path) -> None:
    order = sample_order()
    make(root).order_push(dataclasses.replace(order, lines=order.lines[:1]))
    written = (root / "outbound" / "orders" / f"{order.reference}.xml").read_text(encoding="utf-8")
    assert doc_block("### 4.3 Order", "xml").strip() == written.strip()


def test_payment_lists_the_invoices_it_settles():
    import dataclasses as dc

    from erpsync.adapters.file.outbound import render
    from erpsync.tests.contract import sample_payment

    xml = render("payments", dc.replace(sample_payment(), invoice_numbers=("41", "42"))).decode()
    assert "<InvoiceNumbers>\n    <InvoiceNumber>41</InvoiceNumber>\n    <InvoiceNumber>42</InvoiceNumber>" in xml
    assert "<InvoiceNumbers />" in render("payments", sample_payment()).decode()
