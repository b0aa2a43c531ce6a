"""Text keys: the forms in which two texts count as the same, Turkish letters included.

Python's case mapping is not Turkish: ``"I".lower()`` is "i" (Turkish: "ı") and ``"İ".lower()`` is "i" followed
by a combining dot. Every key below therefore maps the dotted and dotless i itself before anything else. The keys
differ on purpose, each for the comparison it serves; a key with a database twin takes its letter lists from the
constants here, so Python and SQL fold the same letters.

=============== ======================================= ============================================
key             used for                                "Şişe İĞNE Iâ" becomes
=============== ======================================= ============================================
``search_key``  catalogue search (SQL twin)             "sise igne iâ"
``code_key``    SKU and unit code comparison (SQL twin) "şişe iğne iâ"
``word_key``    words and headers in ERP exchange files "sise igne ia"
``header_key``  column headers of uploaded order files  "sise igne ia"
``compact_key`` bank lines: letters and digits only     "siseigneia"
``name_key``    names and references in bank matching   "ŞIŞE IĞNE IÂ"
``ascii_slug``  e-mail domains and slugs                "sise-igne-ia"
=============== ======================================= ============================================
"""

from __future__ import annotations

import re
import unicodedata

from django.db.models import CharField, Func, Value
from django.db.models.functions import Lower, Trim

# Catalogue search: every Turkish letter to its plain Latin base, both cases, before lower().
SEARCH_FOLD_FROM = "İIıŞşĞğÜüÖöÇç"
SEARCH_FOLD_TO = "iiissgguuoocc"
# Codes: the i's made alike and the upper-case Turkish letters lowered before lower(), because a database's
# lower() may leave non-ASCII letters alone; "ş" stays "ş".
CODE_FOLD_FROM = "İIıŞĞÜÖÇ"
CODE_FOLD_TO = "iiişğüöç"

_SEARCH_FOLD = str.maketrans(SEARCH_FOLD_FROM, SEARCH_FOLD_TO)
_CODE_FOLD = str.maketrans(CODE_FOLD_FROM, CODE_FOLD_TO)
_WORD_FOLD = str.maketrans({"ı": "i", "ş": "s", "ğ": "g", "ü": "u", "ö": "o", "ç": "c", "â": "a", "î": "i"})
_PLAIN_I = str.maketrans({"İ": "i", "I": "i", "ı": "i"})
_NAME_FOLD = str.maketrans({"ı": "I", "i": "İ"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def search_key(text: str) -> str:
    """The catalogue search form: the Turkish letters İ I ı Ş ş Ğ ğ Ü ü Ö ö Ç ç to i i i s s g g u u o o c c,
    then lower case ("İpek ÇANTA" → "ipek canta"). Nothing else changes: spaces stay, "â" stays "â".
    ``search_key_sql`` is its twin in the database; the two agree on ASCII and the Turkish letters."""
    return text.translate(_SEARCH_FOLD).lower()


def search_key_sql(expression_sql: str) -> str:
    """``search_key`` as SQL around ``expression_sql`` (PostgreSQL ``translate`` and ``lower``)."""
    return f"lower(translate({expression_sql}, '{SEARCH_FOLD_FROM}', '{SEARCH_FOLD_TO}'))"


def search_key_expression(expression):
    """``search_key`` as a database expression on ``expression`` (a field name or an expression), for every
    database: on SQLite ``Translate`` is written with ``REPLACE``. The Turkish letters become ASCII before
    ``lower()``, so a database whose ``lower()`` only knows ASCII folds them too."""
    return Lower(Translate(expression, Value(SEARCH_FOLD_FROM), Value(SEARCH_FOLD_TO)))


def code_key(text: str) -> str:
    """The form in which two SKUs or unit codes are the same code: trimmed, case ignored, the dotted and dotless
    i alike ("ŞİŞE-1" and " şişe-1" → "şişe-1"). Turkish letters stay Turkish: "şişe-1" is not "sise-1".
    ``code_key_sql`` is its twin in the database."""
    return text.strip().translate(_CODE_FOLD).lower()


class Translate(Func):
    """SQL ``TRANSLATE(expression, from, to)``. SQLite has none: there it is one ``REPLACE`` per letter."""

    function = "TRANSLATE"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        expression, source, target = self.get_source_expressions()
        sql, params = compiler.compile(expression)
        for old, new in zip(source.value, target.value, strict=True):
            sql, params = f"REPLACE({sql}, %s, %s)", [*params, old, new]
        return sql, params


def code_key_sql(expression):
    """``code_key`` as a database expression on ``expression`` (a field name or an expression)."""
    return Lower(Translate(Trim(expression), Value(CODE_FOLD_FROM), Value(CODE_FOLD_TO)))


def word_key(text: str) -> str:
    """The key for words and column names in ERP exchange files: trimmed, lower case, the Turkish letters and
    "â", "î" to their ASCII base ("HAYIR", "Hayır" and "hayir" → "hayir"; "Kâr" → "kar"). Spaces and punctuation
    stay; other accented letters ("é", "û") stay as they are, lower-cased."""
    lowered = text.strip().replace("İ", "i").replace("I", "ı").lower()
    return lowered.translate(_WORD_FOLD)


def _ascii_lower(text: str) -> str:
    """Lower case without accents: the i's to "i", then every letter without its marks ("Ş" → "s")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN_I))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def header_key(text: str) -> str:
    """The key for a column header of an uploaded order file: lower-case ASCII letters and digits in words
    separated by one space ("Ürün Kodu", "URUN_KODU" and "ürün kodu:" → "urun kodu"). Letters with no ASCII
    base ("ß", "ø") are dropped like punctuation."""
    return " ".join(_NOT_ALNUM.sub(" ", _ascii_lower(text)).split())


def compact_key(text: str | None) -> str:
    """A text reduced to lower-case ASCII letters and digits, everything else removed ("KARADENİZ İnşaat  Ödemesi"
    → "karadenizinsaatodemesi"), for bank lines whose files may drop Turkish letters. None and "" give ""."""
    return _NOT_ALNUM.sub("", _ascii_lower(text or ""))


def name_key(text: str) -> str:
    """Upper case the Turkish way ("i" → "İ", "ı" → "I"), then "İ" without its dot, so "ı", "i", "I" and "İ" all
    become "I" ("Yıldız İnşaat" → "YILDIZ INŞAAT"). The other Turkish letters stay, upper-cased ("ş" → "Ş")."""
    return text.translate(_NAME_FOLD).upper().replace("İ", "I")


def ascii_slug(text: str) -> str:
    """Lower-case ASCII words joined by "-" ("Yıldız Elektrik" → "yildiz-elektrik"): "ı" and "İ" to "i", accents
    dropped, letters with no ASCII base removed, every other run of characters one "-", none at either end."""
    ascii_text = unicodedata.normalize("NFKD", text.replace("ı", "i").replace("İ", "I")).encode("ascii", "ignore")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")
