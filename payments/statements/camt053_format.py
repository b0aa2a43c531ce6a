"""CAMT.053 (ISO 20022 "bank to customer statement") files, versions 001.02 to 001.08.

The XML is read by ``defusedxml``'s parser: a DOCTYPE, entity declarations (the "billion laughs" bomb) and
external entities are refused, never expanded; the file's size is capped before parsing and elements may not nest
deeper than a statement needs. Any other namespace (another camt message, a later version) is refused.

Per statement (``Stmt``): the account (``Acct/Id/IBAN``) and its currency (``Acct/Ccy``, else the ``Ccy`` of the
amounts when they all agree), the opening (``OPBD``, else ``PRCD``) and closing
(``CLBD``) balances, and the booked entries (``Ntry`` with status ``BOOK``; pending ones are left out). An entry's
sign is its ``CdtDbtInd``; its dates ``BookgDt`` and ``ValDt``; its counterparty the debtor of a credit or the
creditor of a debit (``RltdPties``); its text ``RmtInf/Ustrd``; its reference ``AcctSvcrRef``, else the
``EndToEndId``. A batch entry whose transaction details each carry an amount adding up to the entry becomes one
line per transaction.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.utils.translation import gettext

from payments.statements.fingerprints import normalise_reference
from payments.statements.ibans import statement_account
from payments.statements.records import (
    MAX_STATEMENT_BYTES,
    ParsedStatement,
    StatementError,
    StatementLine,
    balance_check,
    money,
)

NAMESPACES = tuple(f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version:02d}" for version in range(2, 9))
MAX_DEPTH = 32
_POSITION = re.compile(r": line \d+, column \d+$")


class _Tree(TreeBuilder):
    """A tree builder that remembers the line each element starts on and refuses deep nesting."""

    def __init__(self, file_name: str) -> None:
        super().__init__()
        self.file_name = file_name
        self.expat = None
        self.lines: dict[Element, int] = {}
        self.depth = 0

    def line(self) -> int | None:
        return self.expat.CurrentLineNumber if self.expat is not None else None

    def start(self, tag, attrs):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise StatementError(
                gettext("Elements nest deeper than %(depth)s levels.") % {"depth": MAX_DEPTH},
                file_name=self.file_name,
                line=self.line(),
            )
        element = super().start(tag, attrs)
        self.lines[element] = self.line() or 0
        return element

    def end(self, tag):
        self.depth -= 1
        return super().end(tag)


class _Reader:
    """Element look-ups in the document's namespace, with the element's line for errors."""

    def __init__(self, namespace: str, lines: dict[Element, int], file_name: str) -> None:
        self.ns = {"c": namespace}
        self.lines = lines
        self.file_name = file_name

    def _path(self, path: str) -> str:
        return "/".join(f"c:{step}" for step in path.split("/"))

    def find(self, element: Element, path: str) -> Element | None:
        return element.find(self._path(path), self.ns)

    def findall(self, element: Element, path: str) -> list[Element]:
        return element.findall(self._path(path), self.ns)

    def text(self, element: Element | None, *paths: str) -> str:
        """The stripped text of the first of ``paths`` present under ``element``, or ""."""
        if element is None:
            return ""
        for path in paths:
            found = self.find(element, path)
            if found is not None and (found.text or "").strip():
                return (found.text or "").strip()
        return ""

    def error(self, message: str, element: Element | None, field: str = "") -> StatementError:
        line = self.lines.get(element) if element is not None else None
        return StatementError(message, file_name=self.file_name, line=line, field=field)

    def date(self, element: Element, path: str, *, required: bool) -> date | None:
        """A ``Dt`` or ``DtTm`` under ``path``; a date-time counts as the date it names."""
        holder = self.find(element, path)
        value = self.text(holder, "Dt", "DtTm") if holder is not None else ""
        if not value:
            if required:
                raise self.error(gettext("The date is missing."), holder if holder is not None else element, path)
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise self.error(gettext("%(value)r is not a date.") % {"value": value}, holder, path) from None

    def amount(self, element: Element, field: str) -> tuple[Decimal, str]:
        """The unsigned amount and its currency attribute of the ``Amt`` element ``element``."""
        found = self.find(element, field)
        if found is None:
            raise self.error(gettext("The amount is missing."), element, field)
        line = self.lines.get(found)
        value = money((found.text or "").strip(), file_name=self.file_name, line=line, field=field)
        if value < 0:
            raise self.error(gettext("An amount must not be negative; the sign is CdtDbtInd."), found, field)
        return value, (found.get("Ccy") or "").strip().upper()

    def sign(self, element: Element) -> int:
        indicator = self.text(element, "CdtDbtInd")
        if indicator not in ("CRDT", "DBIT"):
            raise self.error(
                gettext("CdtDbtInd must be CRDT or DBIT, found %(value)r.") % {"value": indicator},
                element,
                "CdtDbtInd",
            )
        return 1 if indicator == "CRDT" else -1


def parse_camt053(data: bytes, *, file_name: str) -> list[ParsedStatement]:
    """Every statement (``Stmt``) of a CAMT.053 document, in file order. Raises ``StatementError`` with the line
    for an unsafe, malformed or incomplete document, or one of another message type or version."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise StatementError(gettext("The file is too large."), file_name=file_name)
    root, lines = _parse_xml(data, file_name)
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local != "Document" or namespace not in NAMESPACES:
        raise StatementError(
            gettext(
                "This is not a CAMT.053 statement of version 001.02 to 001.08: the root element is %(tag)s "
                "in namespace %(namespace)r."
            )
            % {"tag": local, "namespace": namespace},
            file_name=file_name,
            line=lines.get(root),
        )
    reader = _Reader(namespace, lines, file_name)
    statements = reader.findall(root, "BkToCstmrStmt/Stmt")
    if not statements:
        raise StatementError(gettext("The document holds no statement (Stmt)."), file_name=file_name, line=1)
    return [_statement(reader, statement) for statement in statements]


def _parse_xml(data: bytes, file_name: str) -> tuple[Element, dict[Element, int]]:
    tree = _Tree(file_name)
    parser = DefusedXMLParser(target=tree, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    tree.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise StatementError(
            gettext("Not well-formed XML: %(error)s (column %(column)s).")
            % {"error": _POSITION.sub("", str(exc)), "column": column},
            file_name=file_name,
            line=line,
        ) from None
    except DefusedXmlException as exc:
        raise StatementError(
            gettext("DOCTYPE, DTD and entity declarations are refused (%(kind)s).") % {"kind": type(exc).__name__},
            file_name=file_name,
            line=tree.line(),
        ) from None
    except (LookupError, ValueError) as exc:  # an encoding the parser cannot use, declared in the file
        raise StatementError(
            gettext("Unusable encoding: %(error)s") % {"error": exc}, file_name=file_name, line=tree.line()
        ) from None
    return root, tree.lines


def _statement(reader: _Reader, statement: Element) -> ParsedStatement:
    account = statement_account(reader.text(statement, "Acct/Id/IBAN", "Acct/Id/Othr/Id")).number
    if not account:
        raise reader.error(gettext("The statement has no account (Acct/Id)."), statement, "Acct/Id")
    opening = closing = None
    opening_date = closing_date = None
    for balance in reader.findall(statement, "Bal"):
        code = reader.text(balance, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        if code not in ("OPBD", "PRCD", "CLBD"):
            continue
        amount, _ = reader.amount(balance, "Amt")
        signed = amount * reader.sign(balance)
        on = reader.date(balance, "Dt", required=False)
        if code == "CLBD":
            closing, closing_date = signed, on
        elif code == "OPBD" or opening is None:
            opening, opening_date = signed, on
    currency = _statement_currency(reader, statement)
    lines: list[StatementLine] = []
    for entry in reader.findall(statement, "Ntry"):
        status = reader.text(entry, "Sts/Cd", "Sts")
        if status != "BOOK":
            continue  # pending or information only: not (yet) on the account
        lines.extend(_entry_lines(reader, entry, currency))
    booked = [line.booking_date for line in lines]
    period_from = reader.text(statement, "FrToDt/FrDtTm")
    period_to = reader.text(statement, "FrToDt/ToDtTm")
    period_start = _iso_date(period_from) or min([*booked, *filter(None, [closing_date, opening_date])], default=None)
    period_end = _iso_date(period_to) or max([*booked, *filter(None, [closing_date])], default=None)
    parsed = ParsedStatement(
        account=account,
        currency=currency,
        lines=tuple(lines),
        statement_id=reader.text(statement, "Id"),
        period_start=period_start,
        period_end=period_end,
        opening_balance=opening,
        closing_balance=closing,
        line=reader.lines.get(statement),
    )
    balance_check(parsed, file_name=reader.file_name)
    return parsed


def _statement_currency(reader: _Reader, statement: Element) -> str:
    """The account's currency: ``Acct/Ccy``, else the ``Ccy`` every balance and entry amount carries when they all
    agree. Refuses a statement that names none, or whose amounts disagree without ``Acct/Ccy`` to say which."""
    currency = reader.text(statement, "Acct/Ccy").upper()
    if not currency:
        amounts = reader.findall(statement, "Bal/Amt") + reader.findall(statement, "Ntry/Amt")
        found = sorted({(amount.get("Ccy") or "").strip().upper() for amount in amounts} - {""})
        if len(found) > 1:
            raise reader.error(
                gettext(
                    "The statement names no account currency (Acct/Ccy) and its amounts are in several currencies "
                    "(%(currencies)s)."
                )
                % {"currencies": ", ".join(found)},
                statement,
                "Acct/Ccy",
            )
        currency = found[0] if found else ""
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise reader.error(gettext("The statement has no currency (Acct/Ccy)."), statement, "Acct/Ccy")
    return currency


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _entry_lines(reader: _Reader, entry: Element, currency: str) -> list[StatementLine]:
    amount, entry_currency = reader.amount(entry, "Amt")
    if currency and entry_currency and entry_currency != currency:
        raise reader.error(
            gettext("The entry is in %(entry)s, the account in %(account)s.")
            % {"entry": entry_currency, "account": currency},
            entry,
            "Amt",
        )
    sign = reader.sign(entry)
    booking_date = reader.date(entry, "BookgDt", required=True)
    value_date = reader.date(entry, "ValDt", required=False)
    details = reader.findall(entry, "NtryDtls/TxDtls")
    entry_reference = reader.text(entry, "AcctSvcrRef")
    common = {"booking_date": booking_date, "value_date": value_date, "currency": entry_currency or currency}
    amounts = [_detail_amount(reader, detail) for detail in details]
    if len(details) > 1 and all(amounts) and sum(amounts) == amount:
        return [
            StatementLine(
                amount=sign * detail_amount,
                **common,
                **_party(reader, detail, sign, fallback_reference=""),
                line=reader.lines.get(detail),
            )
            for detail, detail_amount in zip(details, amounts, strict=True)
        ]
    if len(details) == 1:
        party = _party(reader, details[0], sign, fallback_reference=entry_reference)
    else:
        texts = [_party(reader, detail, sign, fallback_reference="")["description"] for detail in details]
        party = {
            "counterparty_name": "",
            "counterparty_iban": "",
            "description": " ".join(filter(None, texts)),
            "bank_reference": entry_reference,
        }
    if not party["description"]:
        party["description"] = reader.text(entry, "AddtlNtryInf")
    if not party["bank_reference"]:
        party["bank_reference"] = reader.text(entry, "NtryRef")
    return [StatementLine(amount=sign * amount, **common, **party, line=reader.lines.get(entry))]


def _detail_amount(reader: _Reader, detail: Element) -> Decimal | None:
    for path in ("Amt", "AmtDtls/TxAmt/Amt"):
        if reader.find(detail, path) is not None:
            return reader.amount(detail, path)[0]
    return None


def _party(reader: _Reader, detail: Element, sign: int, *, fallback_reference: str) -> dict[str, str]:
    """Counterparty, text and reference of one ``TxDtls``: the debtor pays us (credit), we pay the creditor."""
    role = "Dbtr" if sign > 0 else "Cdtr"
    parties = reader.find(detail, "RltdPties")
    name = reader.text(parties, f"{role}/Nm", f"{role}/Pty/Nm", f"Ultmt{role}/Nm", f"Ultmt{role}/Pty/Nm")
    iban = reader.text(parties, f"{role}Acct/Id/IBAN")
    remittance = reader.find(detail, "RmtInf")
    texts = []
    if remittance is not None:
        texts += [(element.text or "").strip() for element in reader.findall(remittance, "Ustrd")]
        texts += [(element.text or "").strip() for element in reader.findall(remittance, "Strd/CdtrRefInf/Ref")]
    texts.append(reader.text(detail, "AddtlTxInf"))
    end_to_end = reader.text(detail, "Refs/EndToEndId")
    reference = reader.text(detail, "Refs/AcctSvcrRef") or fallback_reference
    if not reference and normalise_reference(end_to_end):
        reference = end_to_end
    return {
        "counterparty_name": name,
        "counterparty_iban": iban,
        "description": " ".join(text for text in texts if text),
        "bank_reference": reference,
    }
