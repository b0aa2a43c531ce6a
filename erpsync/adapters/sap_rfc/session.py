"""The RFC sessions of the SAP RFC adapter: a pool of at most ``max_sessions`` open connections per adapter (RFC
sessions are expensive: each holds a dialog work process), the mapping of transport failures and BAPI messages to
the contract's errors, and ``RFC_READ_TABLE`` reads that split a field list wider than its 512-character row.

A write holds one session from its look-up to its commit (``_held``): a BAPI's work is committed only by
``BAPI_TRANSACTION_COMMIT`` on the same session. A read takes any idle session and, when the session turns out to be
broken (SAP restarted, a firewall dropped it), opens a fresh one and asks again once: reads change nothing.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import ErpError, PermanentError, RetryableError
from erpsync.adapters.sap_rfc.transport import PyrfcTransport, RfcFailure, SimulatorTransport, Transport

logger = logging.getLogger(__name__)

WORK_AREA = 512  # RFC_READ_TABLE's row: the chosen fields' widths plus delimiters must fit
OPTION_LINE = 72  # RFC_READ_TABLE's OPTIONS lines (TEXT is CHAR 72)
IN_BATCH = 40  # values per IN (…) list in one WHERE clause


def failure_error(failure: RfcFailure, *, what: str) -> ErpError:
    """A failed call that changed nothing as the contract's error."""
    text = f"SAP {what}: {failure.message}" + (f" ({failure.key})" if failure.key else "")
    if failure.kind in ("communication", "cancelled"):
        return RetryableError(text, code=failure.key)
    return PermanentError(text, code=failure.key)


def where_lines(clause: str) -> list[dict[str, str]]:
    """A WHERE clause cut into RFC_READ_TABLE's 72-character OPTIONS lines, at spaces outside quotes."""
    lines, current = [], ""
    for word in _words(clause):
        if current and len(current) + 1 + len(word) > OPTION_LINE:
            lines.append({"TEXT": current})
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append({"TEXT": current})
    return lines


def _words(clause: str) -> list[str]:
    words, word, quoted = [], "", False
    for char in clause:
        if char == "'":
            quoted = not quoted
        if char == " " and not quoted:
            if word:
                words.append(word)
            word = ""
        else:
            word += char
    if word:
        words.append(word)
    return words


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def in_clause(field: str, values: Sequence[str]) -> str:
    return f"{field} IN ( {' , '.join(literal(value) for value in values)} )"


class SapRfcSession:
    """The transport half of ``SapRfcAdapter``."""

    def _open_pool(self) -> None:
        self._idle: list[Transport] = []
        self._pool_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_sessions)
        self._widths: dict[tuple[str, str], int] = {}

    def _connect(self) -> Transport:
        try:
            if self.transport_kind == "simulator":
                return SimulatorTransport(self.simulator_name, self.parameters, timeout=self.timeout)
            return PyrfcTransport(self.parameters, timeout=self.timeout)
        except RfcFailure as failure:
            if failure.kind == "logon":
                raise PermanentError(f"SAP refused the logon: {failure.message}", code=failure.key) from None
            raise failure_error(failure, what="cannot be reached") from None

    @contextlib.contextmanager
    def _held(self) -> Iterator[list[Transport]]:
        """One session for the caller alone, as a one-element list (a broken one is replaced in place). At most
        ``max_sessions`` are held at once; a caller beyond them waits up to ``timeout_seconds``. A session whose
        holder failed is closed, not pooled: it may hold uncommitted work a later commit must never pick up."""
        if not self._slots.acquire(timeout=self.timeout):
            raise RetryableError(f"SAP: all {self.max_sessions} RFC sessions of this connection are busy")
        holder: list[Transport] = []
        failed = False
        try:
            with self._pool_lock:
                while self._idle and not holder:
                    candidate = self._idle.pop()
                    if candidate.alive:
                        holder.append(candidate)
            if not holder:
                holder.append(self._connect())
            yield holder
        except BaseException:
            failed = True
            raise
        finally:
            transport = holder[0] if holder else None
            if transport is not None:
                if transport.alive and not failed:
                    with self._pool_lock:
                        self._idle.append(transport)
                else:
                    transport.close()
            self._slots.release()

    def _drop(self, holder: list[Transport]) -> None:
        """The held session broke: close it; the next call on ``holder`` opens a new one."""
        holder[0].close()
        holder[0] = self._connect()

    def close(self) -> None:
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for transport in idle:
            transport.close()

    def _read_call(self, holder: list[Transport], name: str, **params: Any) -> dict[str, Any]:
        """A call that changes nothing, asked again once on a fresh session when the session broke."""
        for attempt in (1, 2):
            try:
                return holder[0].call(name, **params)
            except RfcFailure as failure:
                if failure.kind == "communication" and attempt == 1:
                    logger.info("SAP RFC session broke during %s; asking again on a new one", name)
                    self._drop(holder)
                    continue
                raise self._function_error(failure, name) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _function_error(self, failure: RfcFailure, name: str) -> ErpError:
        if failure.kind == "abap" and failure.key == "FU_NOT_FOUND":
            return PermanentError(f"SAP has no function module {name} (or the RFC user may not call it)", code="FU")
        return failure_error(failure, what=f"{name} failed")

    def _ask(self, name: str, **params: Any) -> dict[str, Any]:
        with self._held() as holder:
            return self._read_call(holder, name, **params)

    def ping(self) -> None:
        self._ask("RFC_PING")

    # --- RFC_READ_TABLE ---

    def _field_widths(self, holder: list[Transport], table: str, fields: Sequence[str]) -> None:
        """Learn the widths of ``fields`` (NO_DATA calls), halving a list SAP says is too wide for one row."""
        unknown = [name for name in fields if (table, name) not in self._widths]
        if not unknown:
            return
        try:
            answer = holder[0].call(
                "RFC_READ_TABLE", QUERY_TABLE=table, NO_DATA="X", FIELDS=[{"FIELDNAME": n} for n in unknown]
            )
        except RfcFailure as failure:
            if failure.key == "DATA_BUFFER_EXCEEDED" and len(unknown) > 1:
                half = len(unknown) // 2
                self._field_widths(holder, table, unknown[:half])
                self._field_widths(holder, table, unknown[half:])
                return
            if failure.kind == "communication":
                self._drop(holder)
                return self._field_widths(holder, table, fields)
            raise self._table_error(failure, table) from None
        for row in answer.get("FIELDS") or []:
            self._widths[(table, str(row["FIELDNAME"]))] = int(row["LENGTH"])

    def _table_error(self, failure: RfcFailure, table: str) -> ErpError:
        if failure.kind == "abap":
            return PermanentError(
                f"SAP refused to read table {table} with RFC_READ_TABLE: {failure.key or failure.message} (the RFC "
                "user needs S_TABU_DIS or S_TABU_NAM for it)",
                code=failure.key,
            )
        return failure_error(failure, what=f"RFC_READ_TABLE {table} failed")

    def _groups(self, table: str, keys: Sequence[str], fields: Sequence[str]) -> list[list[str]]:
        """``fields`` packed into field lists that fit one 512-character row, each starting with ``keys``."""
        key_width = sum(self._widths[(table, key)] for key in keys) + len(keys)
        groups: list[list[str]] = []
        current: list[str] = []
        width = key_width
        for name in fields:
            if name in keys:
                continue
            size = self._widths[(table, name)] + 1
            if key_width + size > WORK_AREA + 1:
                raise ImproperlyConfigured(f"SAP table {table}: field {name} alone does not fit RFC_READ_TABLE's row")
            if current and width + size > WORK_AREA + 1:
                groups.append(current)
                current, width = [], key_width
            current.append(name)
            width += size
        if current or not groups:
            groups.append(current)
        return [[*keys, *group] for group in groups]

    def read_table(
        self,
        table: str,
        fields: Sequence[str],
        *,
        keys: Sequence[str],
        where: str = "",
        holder: list[Transport] | None = None,
    ) -> list[dict[str, str]]:
        """Rows of ``table`` (``fields``, texts with blanks cut) where ``where`` holds, on ``holder``'s session or an
        idle one. A field list wider than one row is read in several passes joined on ``keys``; every pass is read
        page by page."""
        if holder is None:
            with self._held() as held:
                return self.read_table(table, fields, keys=keys, where=where, holder=held)
        fields = list(dict.fromkeys([*keys, *fields]))
        self._field_widths(holder, table, fields)
        rows: dict[tuple[str, ...], dict[str, str]] = {}
        order: list[tuple[str, ...]] = []
        for group in self._groups(table, keys, fields):
            for row in self._pages(holder, table, group, where):
                key = tuple(row[name] for name in keys)
                if key not in rows:
                    rows[key] = {}
                    order.append(key)
                rows[key].update(row)
        # A row a later pass did not see (changed between passes) is left out rather than half read.
        return [rows[key] for key in order if len(rows[key]) == len(fields)]

    def _pages(self, holder: list[Transport], table: str, group: list[str], where: str) -> Iterator[dict[str, str]]:
        skip = 0
        while True:
            params = {
                "QUERY_TABLE": table,
                "DELIMITER": "|",
                "FIELDS": [{"FIELDNAME": name} for name in group],
                "OPTIONS": where_lines(where),
                "ROWSKIPS": skip,
                "ROWCOUNT": self.page_rows,
            }
            try:
                answer = holder[0].call("RFC_READ_TABLE", **params)
            except RfcFailure as failure:
                if failure.kind != "communication":
                    raise self._table_error(failure, table) from None
                self._drop(holder)
                try:
                    answer = holder[0].call("RFC_READ_TABLE", **params)
                except RfcFailure as again:
                    raise self._table_error(again, table) from None
            cuts = [(str(f["FIELDNAME"]), int(f["OFFSET"]), int(f["LENGTH"])) for f in answer.get("FIELDS") or []]
            data = answer.get("DATA") or []
            for line in data:
                text = str(line.get("WA", ""))
                yield {name: text[at : at + size].strip() for name, at, size in cuts}
            if len(data) < self.page_rows:
                return
            skip += len(data)

    def read_in(
        self,
        table: str,
        fields: Sequence[str],
        *,
        keys: Sequence[str],
        field: str,
        values: Iterable[str],
        where: str = "",
        holder: list[Transport] | None = None,
    ) -> list[dict[str, str]]:
        """``read_table`` for rows whose ``field`` is one of ``values``, in batches of ``IN_BATCH``."""
        values = sorted(set(values))
        rows = []
        for at in range(0, len(values), IN_BATCH):
            clause = in_clause(field, values[at : at + IN_BATCH])
            clause = f"{clause} AND {where}" if where else clause
            rows.extend(self.read_table(table, fields, keys=keys, where=clause, holder=holder))
        return rows

    # --- BAPI messages ---

    def _busy(self, row: Mapping[str, Any]) -> bool:
        ident = f"{row.get('ID', '')} {row.get('NUMBER', '')}".strip()
        text = str(row.get("MESSAGE", "")).casefold()
        return ident in self.retryable_ids or any(piece in text for piece in self.retryable_pieces)
