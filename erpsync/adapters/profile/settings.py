"""The profile adapter's connection settings, declared in ``ProfileSettings`` (the table in docs/profile-adapter.md
is generated from the declaration), and the profile itself: the ``profile`` setting, checked at save.

A profile says, for one installation, how each contract entity is read and each export written::

    {"name": "…", "transport": "nebim" | "sql", "dialect": "mssql",   # dialect: sql transport only
     "reads": {"product": {"sql": "SELECT STKKOD AS code, … FROM STKKART"},                       # sql
               "stock": {"proc": "usp_B2B_Stock", "parameters": {"Date": ":since"},              # nebim RunProc
                         "columns": {"product_code": "ItemCode", …}},
               "unit": {"query": "B2B_Units", "criteria": "", "columns": {…},                    # nebim RunQuery
                        "delta_criteria": "LastUpdatedDate >= :since"}},
     "writes": {"order": {"model_type": 5, "fields": {…}}, "cancel": {"model_type": 34},          # nebim Post
                "payment": {"model_type": 98, "fields": {…}}, "customer": {"model_type": 2, "fields": {…}}}}
    # sql: "writes": {"order": {"mode": "file"}}

A read returns the contract's column names (``erpsync.adapters.profile.columns``): a statement by its select list
(``AS code``), a Nebim call through ``columns`` (contract name → the procedure's column). A missing or misnamed
column refuses the profile, naming the read and the column. A ``SELECT *`` is checked on its first run.

Changes only: a read that binds ``:since`` (a procedure parameter valued ``:since``, a query's ``delta_criteria``,
a statement naming ``:since``) is a delta read (``delta_reads``): the adapter then declares deltas, and an import
with a watermark passes the watermark (less the connection's overlap), in the ERP server's ``timezone``. A read that
binds no ``:since`` is read in full every time.

Credentials (``credentials_ref``): Nebim — ``username`` and ``password`` of a V3 user; SQL — ``sql_url``, the
database URL (``<REF>_SQL_URL``, as for the SQL checks).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from erpsync.adapters.profile.columns import PARAMETERS, READS, column_problems
from erpsync.connection_settings import (
    REQUIRED,
    Choice,
    Integer,
    Invalid,
    Number,
    Setting,
    Settings,
    Text,
    TimeZone,
)
from erpsync.sqlchecks import StatementRefused, validate_read

TRANSPORTS = ("nebim", "sql")
DIALECTS = ("postgresql", "mysql", "mssql")
# The Nebim models the profile may Post for each export (§ ModelType in docs/profile-adapter.md).
MODEL_TYPES: dict[str, tuple[int, ...]] = {
    "order": (5,),
    "cancel": (34,),
    "payment": (91, 92, 98),
    "customer": (2,),
}
ORDER_WRITE_MODES = ("file", "sql")
SINCE = re.compile(r":since\b")


def binds_since(spec: Mapping[str, Any]) -> bool:
    """Whether a read takes the delta's start: its statement, a procedure parameter or its ``delta_criteria``."""
    if isinstance(spec.get("sql"), str):
        return bool(SINCE.search(spec["sql"]))
    parameters = spec.get("parameters", {})
    if isinstance(parameters, Mapping) and ":since" in parameters.values():
        return True
    return isinstance(spec.get("delta_criteria"), str) and bool(SINCE.search(spec["delta_criteria"]))


def delta_reads(profile: Mapping[str, Any]) -> frozenset[str]:
    """The profile's entity reads that read changes only when given ``:since``."""
    reads = profile.get("reads", {})
    return frozenset(name for name, spec in reads.items() if "since" in PARAMETERS.get(name, ()) and binds_since(spec))


def _read_problems(name: str, spec: Any, transport: str, dialect: str) -> list[str]:
    where = f"read {name!r}"
    if not isinstance(spec, Mapping):
        return [f"{where} must be an object, got {spec!r}."]
    if transport == "sql":
        unknown = set(spec) - {"sql"}
        if unknown or not isinstance(spec.get("sql"), str):
            return [f'{where} must be {{"sql": "SELECT …"}}, got keys {", ".join(sorted(spec))}.']
        try:
            names = validate_read(spec["sql"], dialect, PARAMETERS[name])
        except StatementRefused as exc:
            return [f"{where}: the statement {exc}"]
        return [] if names is None else [f"{where} {p}." for p in column_problems(name, names)]
    kinds = [k for k in ("proc", "query") if k in spec]
    if len(kinds) != 1:
        return [f"{where} must name exactly one of 'proc' (RunProc) or 'query' (RunQuery)."]
    allowed = (
        {"proc", "parameters", "columns"} if kinds == ["proc"] else {"query", "criteria", "delta_criteria", "columns"}
    )
    unknown = sorted(set(spec) - allowed)
    if unknown:
        return [f"{where} has unknown keys {', '.join(unknown)} (known: {', '.join(sorted(allowed))})."]
    problems = []
    parameters = spec.get("parameters", {})
    if not isinstance(parameters, Mapping) or not all(isinstance(v, str) for v in parameters.values()):
        problems.append(f"{where}: 'parameters' must map each parameter name to a text (every value is a string).")
    else:
        for value in parameters.values():
            if value.startswith(":") and value[1:] not in PARAMETERS[name]:
                known = ", ".join(f":{p}" for p in PARAMETERS[name])
                problems.append(f"{where}: parameter value {value!r} is not one of {known}.")
    if "delta_criteria" in spec:
        delta = spec["delta_criteria"]
        if "since" not in PARAMETERS[name]:
            problems.append(f"{where}: 'delta_criteria' is for entity reads; a look-up reads by :reference.")
        elif not isinstance(delta, str) or not SINCE.search(delta):
            problems.append(
                f"{where}: 'delta_criteria' must be a criteria text naming :since (e.g. \"LastUpdatedDate >= :since\"),"
                f" got {delta!r}."
            )
    columns = spec.get("columns")
    if not isinstance(columns, Mapping) or not all(isinstance(v, str) and v for v in columns.values()):
        problems.append(f"{where}: 'columns' must map each contract column to the procedure's column.")
    else:
        problems.extend(f"{where} {p}." for p in column_problems(name, columns))
    return problems


def _write_problems(name: str, spec: Any, transport: str) -> list[str]:
    where = f"write {name!r}"
    if not isinstance(spec, Mapping):
        return [f"{where} must be an object."]
    if transport == "sql":
        if name != "order" or spec.get("mode", "file") not in ORDER_WRITE_MODES:
            return [f"{where}: the sql transport writes orders only, 'mode' one of {', '.join(ORDER_WRITE_MODES)}."]
        if spec.get("mode") == "sql" and not all(isinstance(spec.get(k), str) for k in ("number", "header", "line")):
            return [f"{where}: mode 'sql' needs the statements 'number', 'header' and 'line'."]
        return []
    allowed = MODEL_TYPES.get(name)
    if allowed is None:
        return [f"{where}: unknown export; known: {', '.join(MODEL_TYPES)}."]
    if spec.get("model_type") not in allowed:
        return [f"{where}: 'model_type' must be {' or '.join(map(str, allowed))}, got {spec.get('model_type')!r}."]
    if not isinstance(spec.get("fields", {}), Mapping):
        return [f"{where}: 'fields' must be an object of the model's constant fields."]
    return []


def profile_problems(profile: Any) -> list[str]:
    """Everything wrong with a profile, each problem naming the read or write and the column."""
    if not isinstance(profile, Mapping):
        return [f"must be an object with 'transport', 'reads' and 'writes', got {profile!r}."]
    transport = profile.get("transport")
    if transport not in TRANSPORTS:
        return [f"'transport' must be one of {', '.join(TRANSPORTS)}, got {transport!r}."]
    dialect = profile.get("dialect", "")
    if transport == "sql" and dialect not in DIALECTS:
        return [f"'dialect' must be one of {', '.join(DIALECTS)} for the sql transport, got {dialect!r}."]
    reads, writes = profile.get("reads", {}), profile.get("writes", {})
    if not isinstance(reads, Mapping) or not isinstance(writes, Mapping):
        return ["'reads' and 'writes' must be objects."]
    problems = [f"unknown read {n!r}; known: {', '.join(READS)}." for n in reads if n not in READS]
    for name, spec in reads.items():
        if name in READS:
            problems.extend(_read_problems(name, spec, transport, dialect))
    for name, spec in writes.items():
        problems.extend(_write_problems(name, spec, transport))
    if "order" in writes and "order_lookup" not in reads and transport == "nebim":
        problems.append("write 'order' needs the read 'order_lookup' (the portal looks before every create).")
    if "payment" in writes and "payment_lookup" not in reads:
        problems.append("write 'payment' needs the read 'payment_lookup'.")
    if "customer" in writes and "customer_lookup" not in reads:
        problems.append(
            "write 'customer' needs the read 'customer_lookup' (the portal looks the code up before every create)."
        )
    return problems


class Profile(Setting):
    """A profile object, refused with every problem named (see the module)."""

    type_name = "profile object"

    def convert(self, value: Any) -> dict[str, Any]:
        problems = profile_problems(value)
        if problems:
            raise Invalid("'profile' " + " ".join(problems))
        return dict(value)


class ProfileSettings(Settings):
    owner = "Profile adapter"
    title = "Profile (Nebim V3, ETA, other site-defined ERPs)"

    profile = Profile(
        "The profile: the transport, one read per entity and one write per export (docs/profile-adapter.md; "
        "examples in erpsync/adapters/profile/examples/).",
        default=REQUIRED,
    )
    base_url = Text(
        "Nebim: the Integrator's address (`http://host:port/`); the commands go under `IntegratorService/`.",
        default="",
        check=(lambda url: url.startswith(("http://", "https://")), "an http(s) URL"),
    )
    session_mode = Choice(
        "Nebim: how the Integrator keeps the session (IIS Session State): `token` (Connect returns a Token, sent as a "
        "header or in the path) or `session` (a cookieless session in the URL, `/(S(id))/`; Connect then says yes "
        "to any password, so GetUserInfo verifies).",
        choices=("token", "session"),
        default="token",
    )
    token_placement = Choice(
        "Nebim, token mode: the `Token` header, or the token as the last path segment.",
        choices=("header", "path"),
        default="header",
    )
    database_name = Text("Nebim: the V3 database Connect opens.", default="")
    user_group_code = Text("Nebim: the V3 user's group code.", default="")
    reference_field = Choice(
        "Nebim: the order field the portal's order number goes into (and the `order_lookup` read finds it by): "
        "`DocumentNumber` (30 characters) or `Description`.",
        choices=("DocumentNumber", "Description"),
        default="DocumentNumber",
    )
    office_code = Text("Nebim: the office code orders and collections are booked on.", default="")
    warehouse_code = Text("Nebim: the warehouse orders are taken from.", default="")
    page_size = Integer("Nebim: rows per RunQuery page (`Take`).", default=500, positive=True, maximum=10000)
    timeout_seconds = Number("Nebim: seconds to wait for an answer.", default=30, positive=True, as_float=True)
    timezone = TimeZone(
        "The time zone of the ERP server's clock: a delta read's `:since` is sent in it (Nebim's `LastUpdatedDate` "
        "and ETA's dates are the server's local time).",
        default="Europe/Istanbul",
    )
    outbound_folder = Text(
        "SQL transport, order mode `file`: the folder ETA's transfer module imports orders from.", default=""
    )
    sql_write_timeout_ms = Integer(
        "SQL transport, order mode `sql`: how long the order's transaction may take.",
        default=10000,
        minimum=100,
        maximum=120000,
    )

    def clean(self):
        problems = []
        profile = self.profile
        if profile["transport"] == "nebim" and not self.base_url:
            problems.append(self.problem("base_url", "'base_url' is required with a nebim profile."))
        order = profile.get("writes", {}).get("order", {})
        if profile["transport"] == "sql" and order and order.get("mode", "file") == "file" and not self.outbound_folder:
            problems.append(self.problem("outbound_folder", "'outbound_folder' is required when orders go as files."))
        return problems
