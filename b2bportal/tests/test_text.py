"""Text keys: what each one folds, what it leaves alone, and that the database twins agree with Python."""

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper
from django.db.models import Value
from django.db.models.sql import Query

from b2bportal.text import (
    ascii_slug,
    code_key,
    code_key_sql,
    compact_key,
    header_key,
    name_key,
    search_key,
    search_key_expression,
    search_key_sql,
    word_key,
)

# ASCII and the Turkish letters: the alphabet on which every database twin must agree with Python.
TWIN_SAMPLES = ["İIıi", "ŞşĞğÜüÖöÇç", "ŞİŞE-1", " şişe-1 ", "Işık İpek ÇANTA", "abc XYZ 123", "", "KOLİ"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("İIıi", "iiii"),
        ("ŞşĞğÜüÖöÇç", "ssgguuoocc"),
        ("İpek ÇANTA", "ipek canta"),
        ("  ŞİŞE  ", "  sise  "),  # spaces stay
        ("Kâr îmar", "kâr îmar"),  # only the Turkish letters are folded
    ],
)
def test_search_key(text, key):
    assert search_key(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("İIıi", "iiii"),
        ("ŞİŞE-1", "şişe-1"),
        (" şişe-1\t", "şişe-1"),  # trimmed
        ("ĞÜÖÇ", "ğüöç"),
        ("Kâr", "kâr"),
    ],
)
def test_code_key(text, key):
    assert code_key(text) == key


def test_code_key_keeps_turkish_letters_apart_from_their_ascii_base():
    assert code_key("ŞİŞE-1") != code_key("SISE-1")
    assert code_key("kol-ı") == code_key("KOL-I") == code_key("kol-i") == code_key("KOL-İ")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("HAYIR", "hayir"),
        ("Hayır", "hayir"),
        ("İIıi", "iiii"),
        ("ŞşĞğÜüÖöÇç", "ssgguuoocc"),
        ("Kâr Îmar", "kar imar"),
        ("  Birim Kodu ", "birim kodu"),  # trimmed, inner spaces kept
        ("Café-Crème", "café-crème"),  # other accents stay
    ],
)
def test_word_key(text, key):
    assert word_key(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Ürün Kodu", "urun kodu"),
        ("URUN_KODU", "urun kodu"),
        ("ürün kodu:", "urun kodu"),
        ("İIıi", "iiii"),
        ("ŞĞÜÖÇ şğüöç", "sguoc sguoc"),
        ("  Kâr   Îmar  ", "kar imar"),
        ("Straße", "stra e"),  # a letter with no ASCII base separates like punctuation
        ("", ""),
    ],
)
def test_header_key(text, key):
    assert header_key(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("KARADENİZ İnşaat  Ödemesi", "karadenizinsaatodemesi"),
        ("İIıi", "iiii"),
        ("ŞĞÜÖÇ-şğüöç/123", "sguocsguoc123"),
        ("Kâr Îmar", "karimar"),
        ("", ""),
        (None, ""),
    ],
)
def test_compact_key(text, key):
    assert compact_key(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("İIıi", "IIII"),
        ("Yıldız İnşaat", "YILDIZ INŞAAT"),
        ("şğüöç ŞĞÜÖÇ", "ŞĞÜÖÇ ŞĞÜÖÇ"),  # upper-cased, not folded to ASCII
        ("kâr", "KÂR"),
        (" a b ", " A B "),
    ],
)
def test_name_key(text, key):
    assert name_key(text) == key


def test_name_key_matches_a_bank_text_in_any_case():
    assert name_key("YILDIZ ELEKTRİK") == name_key("Yıldız Elektrik") == name_key("yildiz elektrik")


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Yıldız Elektrik", "yildiz-elektrik"),
        ("İstanbul", "istanbul"),
        ("ŞĞÜÖÇ şğüöç", "sguoc-sguoc"),
        ("Kâr  Îmar", "kar-imar"),
        ("  --Zeynep Çelik--  ", "zeynep-celik"),
        ("Straße", "strae"),  # a letter with no ASCII base is dropped
        ("", ""),
    ],
)
def test_ascii_slug(text, slug):
    assert ascii_slug(text) == slug


def _twin(connection_, expression) -> str:
    query = Query(None)
    compiler = query.get_compiler(connection=connection_)
    sql, params = compiler.compile(expression.resolve_expression(query))
    with connection_.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.parametrize("text", TWIN_SAMPLES)
def test_search_key_sql_agrees_with_python(text):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {search_key_sql('%s')}", [text])
        assert cursor.fetchone()[0] == search_key(text)


@pytest.mark.django_db
@pytest.mark.parametrize("text", TWIN_SAMPLES)
def test_code_key_sql_agrees_with_python(text):
    assert _twin(connection, code_key_sql(Value(text))) == code_key(text)


@pytest.fixture
def sqlite(django_db_blocker):
    """The try-out database's engine, in memory: it has no TRANSLATE, so the twin is written with REPLACE."""
    database = {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    wrapper = SqliteWrapper({**database, "OPTIONS": {}}, alias="text-sqlite")
    with django_db_blocker.unblock():
        yield wrapper
        wrapper.close()


@pytest.mark.parametrize("text", TWIN_SAMPLES)
def test_code_key_sql_agrees_with_python_on_sqlite(sqlite, text):
    assert _twin(sqlite, code_key_sql(Value(text))) == code_key(text)


@pytest.mark.django_db
@pytest.mark.parametrize("text", TWIN_SAMPLES)
def test_search_key_expression_agrees_with_python(text):
    assert _twin(connection, search_key_expression(Value(text))) == search_key(text)


@pytest.mark.parametrize("text", TWIN_SAMPLES)
def test_search_key_expression_agrees_with_python_on_sqlite(sqlite, text):
    assert _twin(sqlite, search_key_expression(Value(text))) == search_key(text)
