"""``RFC_READ_TABLE`` as SAP ships it: ``QUERY_TABLE``, ``DELIMITER``, ``NO_DATA``, ``ROWSKIPS``, ``ROWCOUNT``,
``OPTIONS`` (the WHERE clause in 72-character lines, ``TEXT``) and ``FIELDS`` (``FIELDNAME``; answered with
``OFFSET``, ``LENGTH``, ``TYPE``, ``FIELDTEXT``) in, ``DATA`` (rows of one ``WA`` field) out.

Its limits are reproduced: a row (the chosen fields at their full width plus delimiters) must fit the 512-character
work area, else the module raises ``DATA_BUFFER_EXCEEDED``; an unknown table raises ``TABLE_NOT_AVAILABLE``, an
unknown field ``FIELD_NOT_VALID``, a WHERE clause it cannot parse ``OPTION_NOT_VALID``. Numbers come back as text
and every field is padded to its length; the client cuts the row at the answered offsets. [RFC-RT-a] [RFC-RT-b]

The WHERE clause understood here is the subset clients send: ``FIELD op 'value'`` (op ``EQ NE GT GE LT LE = <>
> >= < <=``), ``FIELD IN ('a', 'b')``, ``FIELD LIKE 'AB%'``, joined by ``AND`` or ``OR`` (``AND`` binds first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from erpsync.simulators.sap_rfc.errors import ABAPApplicationError

WORK_AREA = 512


@dataclass(frozen=True)
class Field:
    name: str
    length: int
    type: str = "C"  # C char, N numc, D date (YYYYMMDD), P packed (rendered as text), etc.
    text: str = ""


# The standard tables the portal reads, with the fields it uses at their dictionary lengths (ECC; S/4 widens MATNR
# to 40). Rows come from the system's own data (see ``SapSystem.table_rows``).
TABLES: dict[str, tuple[Field, ...]] = {
    "MARA": (
        Field("MATNR", 18, text="Material"),
        Field("MTART", 4, text="Material type"),
        Field("MATKL", 9, text="Material group"),
        Field("MEINS", 3, text="Base unit"),
        Field("SPART", 2, text="Division"),
        Field("EAN11", 18, text="EAN/UPC"),
        Field("LVORM", 1, text="Deletion flag"),
        Field("MSTAV", 2, text="Cross-chain sales status"),
        Field("LAEDA", 8, "D", "Last change"),
        Field("ZZLANGTEXT", 255, text="Long text (customer field)"),
        Field("ZZVERPACKUNG", 255, text="Packaging note (customer field)"),
    ),
    "MAKT": (Field("MATNR", 18), Field("SPRAS", 1), Field("MAKTX", 40, text="Material description")),
    "MARM": (
        Field("MATNR", 18),
        Field("MEINH", 3, text="Alternative unit"),
        Field("UMREZ", 5, "P", "Numerator"),
        Field("UMREN", 5, "P", "Denominator"),
        Field("EAN11", 18),
    ),
    "MVKE": (
        Field("MATNR", 18),
        Field("VKORG", 4),
        Field("VTWEG", 2),
        Field("VMSTA", 2, text="Sales status"),
        Field("VRKME", 3, text="Sales unit"),
        Field("AUMNG", 13, "P", "Minimum order quantity"),
    ),
    "T023T": (Field("SPRAS", 1), Field("MATKL", 9), Field("WGBEZ", 20, text="Material group name")),
    "MLAN": (Field("MATNR", 18), Field("ALAND", 3), Field("TAXM1", 1, text="Tax classification")),
    "T006A": (Field("SPRAS", 1), Field("MSEHI", 3), Field("MSEH3", 3), Field("MSEHL", 30)),
    "T001L": (Field("WERKS", 4), Field("LGORT", 4), Field("LGOBE", 16, text="Storage location")),
    "KNKK": (
        Field("KUNNR", 10),
        Field("KKBER", 4),
        Field("KLIMK", 15, "P", "Credit limit"),
        Field("SKFOR", 15, "P", "Receivables"),
        Field("SAUFT", 15, "P", "Sales value"),
        Field("CRBLB", 1, text="Blocked"),
        Field("WAERS", 5),
    ),
    "VBAK": (
        Field("VBELN", 10),
        Field("ERDAT", 8, "D"),
        Field("AEDAT", 8, "D"),
        Field("AUART", 4),
        Field("VKORG", 4),
        Field("KUNNR", 10),
        Field("BSTNK", 20, text="Customer PO"),
        Field("NETWR", 15, "P"),
        Field("WAERK", 5),
        Field("GBSTK", 1, text="Overall status"),
    ),
    "VBKD": (
        Field("VBELN", 10),
        Field("POSNR", 6, "N"),
        Field("BSTKD", 35, text="Customer PO (PURCH_NO_C)"),
        Field("BSTKD_E", 35, text="Ship-to PO (PURCH_NO_S)"),
        Field("IHREZ", 12, text="Your reference (REF_1)"),
    ),
    "VBFA": (
        Field("VBELV", 10),
        Field("POSNV", 6, "N"),
        Field("VBELN", 10),
        Field("POSNN", 6, "N"),
        Field("VBTYP_N", 1),
        Field("RFMNG", 15, "P"),
        Field("MEINS", 3),
        Field("ERDAT", 8, "D"),
    ),
    "VBRK": (
        Field("VBELN", 10),
        Field("FKART", 4),
        Field("FKDAT", 8, "D"),
        Field("KUNAG", 10),
        Field("WAERK", 5),
        Field("NETWR", 15, "P"),
        Field("MWSBK", 13, "P"),
        Field("FKSTO", 1, text="Cancelled"),
        Field("XBLNR", 16, text="Reference (e-invoice number)"),
    ),
}
KEYS: dict[str, tuple[str, ...]] = {
    "MARA": ("MATNR",),
    "MAKT": ("MATNR", "SPRAS"),
    "MARM": ("MATNR", "MEINH"),
    "MVKE": ("MATNR", "VKORG", "VTWEG"),
    "MLAN": ("MATNR", "ALAND"),
    "T023T": ("SPRAS", "MATKL"),
    "T006A": ("SPRAS", "MSEHI"),
    "T001L": ("WERKS", "LGORT"),
    "KNKK": ("KUNNR", "KKBER"),
    "VBAK": ("VBELN",),
    "VBKD": ("VBELN", "POSNR"),
    "VBFA": ("VBELV", "POSNV", "VBELN", "POSNN"),
    "VBRK": ("VBELN",),
}

_TOKEN = re.compile(r"\s*(\(|\)|,|'(?:[^']|'')*'|<>|>=|<=|=|<|>|[A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?)")
_OPS = {
    "EQ": "=",
    "=": "=",
    "NE": "<>",
    "<>": "<>",
    "GT": ">",
    ">": ">",
    "GE": ">=",
    ">=": ">=",
    "LT": "<",
    "<": "<",
    "LE": "<=",
    "<=": "<=",
}


def _tokens(text: str) -> list[str]:
    tokens, at = [], 0
    text = text.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise ABAPApplicationError("OPTION_NOT_VALID", f"cannot read the WHERE clause near {text[at : at + 20]!r}")
        tokens.append(match.group(1))
        at = match.end()
    return tokens


def _literal(token: str) -> str:
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    return token


def where_predicate(options: Iterable[Mapping[str, Any]], fields: Mapping[str, Field]) -> Callable[[dict], bool]:
    """The rows ``OPTIONS`` selects, as a predicate over rows of text values."""
    lines = [str(option.get("TEXT", "")) for option in options]
    if any(len(line) > 72 for line in lines):
        raise ABAPApplicationError("OPTION_NOT_VALID", "an OPTIONS line is longer than 72 characters")
    tokens = _tokens(" ".join(lines))
    if not tokens:
        return lambda row: True
    groups: list[list[Callable[[dict], bool]]] = [[]]
    at = 0

    def need(condition: bool) -> None:
        if not condition:
            raise ABAPApplicationError("OPTION_NOT_VALID", f"cannot read the WHERE clause {' '.join(tokens)!r}")

    while at < len(tokens):
        name = tokens[at].upper()
        need(name in fields and at + 2 < len(tokens))
        op = tokens[at + 1].upper()
        if op == "IN":
            need(tokens[at + 2] == "(")
            values, at = [], at + 3
            while at < len(tokens) and tokens[at] != ")":
                if tokens[at] != ",":
                    values.append(_literal(tokens[at]))
                at += 1
            need(at < len(tokens))
            at += 1
            chosen = frozenset(values)
            groups[-1].append(lambda row, n=name, v=chosen: row[n] in v)
        elif op == "LIKE":
            pattern = re.escape(_literal(tokens[at + 2])).replace("%", ".*").replace("_", ".")
            groups[-1].append(lambda row, n=name, p=re.compile(f"^{pattern}$"): bool(p.match(row[n])))
            at += 3
        else:
            need(op in _OPS)
            value = _literal(tokens[at + 2])
            groups[-1].append(_compare(name, _OPS[op], value, fields[name]))
            at += 3
        if at < len(tokens):
            joiner = tokens[at].upper()
            need(joiner in ("AND", "OR"))
            if joiner == "OR":
                groups.append([])
            at += 1
    return lambda row: any(all(test(row) for test in group) for group in groups)


def _compare(name: str, op: str, value: str, field: Field) -> Callable[[dict], bool]:
    numeric = field.type == "P"

    def key(text: str):
        if numeric:
            try:
                return float(text or 0)
            except ValueError:
                return 0.0
        return text

    target = key(value)
    tests = {
        "=": lambda a: a == target,
        "<>": lambda a: a != target,
        ">": lambda a: a > target,
        ">=": lambda a: a >= target,
        "<": lambda a: a < target,
        "<=": lambda a: a <= target,
    }
    test = tests[op]
    return lambda row: test(key(row[name]))


def _words_of(text: str) -> list[str]:
    return re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)


def render(value: Any, field: Field) -> str:
    """A value as ``RFC_READ_TABLE`` writes it into the work area: text, padded (numbers right-aligned)."""
    if value is None:
        text = ""
    elif field.type == "P":
        text = f"{value}"
        return text.rjust(field.length)[-field.length :]
    else:
        text = str(value)
    return text[: field.length].ljust(field.length)


def read_table(
    rows_of: Callable[[str], Iterable[dict[str, Any]]], params: Mapping[str, Any], cache: dict | None = None
) -> dict[str, Any]:
    """Answer one ``RFC_READ_TABLE`` call over the rows ``rows_of(table)`` gives. ``cache`` (a session's) keeps the
    last selection, so the next page of the same read (``ROWSKIPS`` above 0) is cut from it instead of selecting
    again: a shortcut of the simulator, whose cost is not the subject (SAP selects again, without an order, which is
    why the adapter joins passes on the key)."""
    table = str(params.get("QUERY_TABLE", "")).upper()
    if table not in TABLES:
        raise ABAPApplicationError("TABLE_NOT_AVAILABLE")
    known = {field.name: field for field in TABLES[table]}
    asked = [str(f.get("FIELDNAME", "")).upper() for f in params.get("FIELDS") or []]
    for name in asked:
        if name not in known:
            raise ABAPApplicationError("FIELD_NOT_VALID", f"{table}-{name}")
    chosen = [known[name] for name in asked] or list(TABLES[table])
    delimiter = str(params.get("DELIMITER", ""))[:1]
    offsets, at = [], 0
    for field in chosen:
        offsets.append(
            {
                "FIELDNAME": field.name,
                "OFFSET": f"{at:06d}",
                "LENGTH": f"{field.length:06d}",
                "TYPE": field.type,
                "FIELDTEXT": field.text,
            }
        )
        at += field.length + len(delimiter)
    width = at - len(delimiter)
    if width > WORK_AREA:
        raise ABAPApplicationError("DATA_BUFFER_EXCEEDED")
    if str(params.get("NO_DATA", "")).strip():
        return {"FIELDS": offsets, "DATA": [], "OPTIONS": list(params.get("OPTIONS") or [])}
    skip = int(params.get("ROWSKIPS") or 0)
    count = int(params.get("ROWCOUNT") or 0)
    key = (table, tuple(asked), tuple(str(o.get("TEXT", "")) for o in params.get("OPTIONS") or []))
    if cache is not None and skip and cache.get("key") == key:
        selected = cache["rows"]
    else:
        selected = _select(rows_of, table, known, chosen, params)
        if cache is not None:
            cache.update(key=key, rows=selected)
    page = selected[skip : skip + count] if count else selected[skip:]
    data = [{"WA": delimiter.join(render(row[field.name], field) for field in chosen)} for row in page]
    return {"FIELDS": offsets, "DATA": data, "OPTIONS": list(params.get("OPTIONS") or [])}


def _select(rows_of, table: str, known: dict[str, Field], chosen: list[Field], params) -> list[dict[str, str]]:
    keep = where_predicate(params.get("OPTIONS") or [], known)
    # Render only what is asked, keyed or compared (the WHERE clause's field names).
    words = {word.upper() for option in params.get("OPTIONS") or [] for word in _words_of(str(option.get("TEXT", "")))}
    needed = [field for field in known.values() if field in chosen or field.name in KEYS[table] or field.name in words]
    text_rows = (
        {
            field.name: render(row.get(field.name), field).strip()
            if field.type == "P"
            else render(row.get(field.name), field).rstrip()
            for field in needed
        }
        for row in rows_of(table)
    )
    return sorted((row for row in text_rows if keep(row)), key=lambda row: [row[k] for k in KEYS[table]])
