"""LogoObjectService (SOAP 1.1, WCF, namespace ``http://tempuri.org/``) on the simulator's port: the WSDL at
``/LogoObjectService.svc?wsdl`` and the operations real clients call: ``AppendDataObject``, ``ReadDataObject``,
``DeleteDataObject`` and ``ExecQuery``.

- ``AppendDataObject(dataType, dataReference, dataXML, paramXML, FirmNr, securityCode)`` → ``status`` (3 done, 4
  error), ``dataReference`` (the new LOGICALREF), ``errorString``. ``dataXML`` is the XML transfer format declared
  ``ISO-8859-9``: ``SALES_ORDERS/ORDER_SLIP DBOP="INS"`` with ``TRANSACTIONS/TRANSACTION`` lines (DataObjectType 3);
  ``DATE`` as ``dd.mm.yyyy``, ``dd/mm/yyyy`` or ISO, ``TIME`` packed, ``NUMBER`` ``~`` for the next number;
  ``AR_APS/AR_AP DBOP="INS"`` (DataObjectType 30, doAccountsRP) makes a customer card; 24 (doBankVoucher,
  ``BANK_VOUCHERS/BANK_VOUCHER``), 29 (doSafeDepositTrans, ``SD_TRANSACTIONS/SD_TRANSACTION``) and 31
  (doARAPVoucher, ``ARP_VOUCHERS/ARP_VOUCHER``) make collections and credit notes; those three root names are
  UNCONFIRMED (the type numbers are from the type library, the roots follow Logo's naming of the others).
- ``ReadDataObject(dataType, dataReference, …)`` → ``dataXML`` of the slip, ``status``.
- ``DeleteDataObject(dataType, dataReference, …)`` → ``status`` (an order slip with shipments is refused).
- ``ExecQuery(sqlText base64, orderByText, FirmNr, securityCode)`` → ``resultXML`` of ``<RESULTLINE>`` rows (each
  column an element), ``status``, ``errorString``.

A wrong ``securityCode`` or ``FirmNr`` answers status 4 with Logo's message; a body that is not a SOAP envelope a
SOAP fault (``faultstring``).
"""

from __future__ import annotations

import base64
import re
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from erpsync.simulators.logo.firm import Firm, LogoBusinessError
from erpsync.simulators.logo.rest import run_query

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TEMPURI = "http://tempuri.org/"
SERVICE_PATH = "/LogoObjectService.svc"
SALES_ORDER = 3  # DataObjectType doSalesOrderSlip
ACCOUNTS_RP = 30  # doAccountsRP: customer / vendor cards (AR_APS/AR_AP)
BANK_VOUCHER, SAFE_DEPOSIT, ARP_VOUCHER = 24, 29, 31  # doBankVoucher, doSafeDepositTrans, doARAPVoucher
# Data type → (collection, record) of the slips other than orders; the root names are not confirmed by a source.
SLIP_ROOTS = {
    BANK_VOUCHER: ("BANK_VOUCHERS", "BANK_VOUCHER"),
    SAFE_DEPOSIT: ("SD_TRANSACTIONS", "SD_TRANSACTION"),
    ARP_VOUCHER: ("ARP_VOUCHERS", "ARP_VOUCHER"),
}
OPERATIONS = {
    "AppendDataObject": (
        ["dataType:int", "dataReference:int", "dataXML:string", "paramXML:string", "FirmNr:int", "securityCode:string"],
        ["status:int", "dataReference:int", "errorString:string", "returnNumber:string"],
    ),
    "ReadDataObject": (
        [
            "dataType:int",
            "dataReference:int",
            "paramXML:string",
            "FirmNr:int",
            "securityCode:string",
            "LbsLoadPass:string",
        ],
        ["status:int", "dataXML:string", "errorString:string"],
    ),
    "DeleteDataObject": (
        ["dataType:int", "dataReference:int", "FirmNr:int", "securityCode:string"],
        ["status:int", "errorString:string"],
    ),
    "ExecQuery": (
        ["sqlText:string", "orderByText:string", "FirmNr:int", "securityCode:string"],
        ["status:int", "resultXML:string", "errorString:string"],
    ),
}


def wsdl(address: str) -> str:
    """The service description, document/literal, as WCF's basicHttpBinding publishes it."""
    elements, messages, port_ops, binding_ops = [], [], [], []
    for name, (inputs, outputs) in OPERATIONS.items():
        for element, fields in ((name, inputs), (f"{name}Response", outputs)):
            parts = "".join(
                f'<xs:element minOccurs="0" name="{field.split(":")[0]}" type="xs:{field.split(":")[1]}"/>'
                for field in fields
            )
            elements.append(f'<xs:element name="{element}"><xs:complexType><xs:sequence>{parts}</xs:sequence>'
                            "</xs:complexType></xs:element>")  # fmt: skip
        messages.append(
            f'<wsdl:message name="ISvc_{name}_InputMessage"><wsdl:part name="parameters" element="tns:{name}"/>'
            f'</wsdl:message><wsdl:message name="ISvc_{name}_OutputMessage"><wsdl:part name="parameters" '
            f'element="tns:{name}Response"/></wsdl:message>'
        )
        port_ops.append(
            f'<wsdl:operation name="{name}"><wsdl:input wsaw:Action="{TEMPURI}ISvc/{name}" '
            f'message="tns:ISvc_{name}_InputMessage"/><wsdl:output message="tns:ISvc_{name}_OutputMessage"/>'
            "</wsdl:operation>"
        )
        binding_ops.append(
            f'<wsdl:operation name="{name}"><soap:operation soapAction="{TEMPURI}ISvc/{name}" style="document"/>'
            '<wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/>'
            "</wsdl:output></wsdl:operation>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<wsdl:definitions name="LogoObjectService" targetNamespace="http://tempuri.org/" '
        'xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="http://tempuri.org/" '
        'xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl">'
        '<wsdl:types><xs:schema elementFormDefault="qualified" targetNamespace="http://tempuri.org/">'
        + "".join(elements)
        + "</xs:schema></wsdl:types>"
        + "".join(messages)
        + '<wsdl:portType name="ISvc">'
        + "".join(port_ops)
        + '</wsdl:portType><wsdl:binding name="BasicHttpBinding_ISvc" type="tns:ISvc">'
        '<soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>'
        + "".join(binding_ops)
        + '</wsdl:binding><wsdl:service name="LogoObjectService"><wsdl:port name="BasicHttpBinding_ISvc" '
        f'binding="tns:BasicHttpBinding_ISvc"><soap:address location="{escape(address)}"/></wsdl:port>'
        "</wsdl:service></wsdl:definitions>"
    )


def envelope(operation: str, values: dict[str, Any]) -> str:
    body = "".join(f"<{key}>{escape(str(value))}</{key}>" for key, value in values.items() if value is not None)
    return (
        f'<s:Envelope xmlns:s="{SOAP_NS}"><s:Body><{operation}Response xmlns="{TEMPURI}">{body}'
        f"</{operation}Response></s:Body></s:Envelope>"
    )


def fault(message: str) -> str:
    return (
        f'<s:Envelope xmlns:s="{SOAP_NS}"><s:Body><s:Fault><faultcode>s:Client</faultcode>'
        f"<faultstring>{escape(message)}</faultstring></s:Fault></s:Body></s:Envelope>"
    )


def _day(text: str) -> str:
    text = text.strip()
    match = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
    if match:
        day, month, year = map(int, match.groups())
        return date(year, month, day).isoformat()
    return date.fromisoformat(text[:10]).isoformat()


def _transfer_record(data_xml: str, collection: str, record: str) -> etree._Element:
    """The one ``record`` element (``DBOP="INS"``) under the ``collection`` root of a transfer document."""
    try:
        root = etree.fromstring(data_xml.encode("iso-8859-9"))
    except (etree.XMLSyntaxError, UnicodeEncodeError) as exc:
        raise LogoBusinessError(f"XML okunamadı: {exc}") from None
    if root.tag != collection or root.find(record) is None:
        raise LogoBusinessError(f"Aktarım dosyasında {collection}/{record} yok.")
    element = root.find(record)
    if element.get("DBOP", "INS") != "INS":
        raise LogoBusinessError(f"Desteklenmeyen DBOP: {element.get('DBOP')}")
    return element


def transfer_slip(data_xml: str, collection: str = "SALES_ORDERS", record: str = "ORDER_SLIP") -> dict[str, Any]:
    """The REST-shaped body of the one slip (``record``) in a ``collection`` transfer document, its
    ``TRANSACTIONS/TRANSACTION`` lines under ``TRANSACTIONS.items``."""
    slip = _transfer_record(data_xml, collection, record)
    body: dict[str, Any] = {child.tag: (child.text or "") for child in slip if child.tag != "TRANSACTIONS"}
    if body.get("DATE"):
        body["DATE"] = _day(body["DATE"])
    lines = []
    for line in slip.findall("TRANSACTIONS/TRANSACTION"):
        values: dict[str, Any] = {child.tag: (child.text or "") for child in line}
        for key in ("QUANTITY", "PRICE", "EDT_PRICE", "VAT_RATE", "AMOUNT", "DISCOUNT_RATE", "TOTAL"):
            if values.get(key):
                values[key] = float(values[key])
        if values.get("DUE_DATE"):
            values["DUE_DATE"] = _day(values["DUE_DATE"])
        lines.append(values)
    body["TRANSACTIONS"] = {"items": lines}
    return body


def transfer_order(data_xml: str) -> dict[str, Any]:
    """The REST-shaped body of the one ``ORDER_SLIP`` in a ``SALES_ORDERS`` transfer document."""
    return transfer_slip(data_xml)


def transfer_card(data_xml: str, collection: str, record: str) -> dict[str, Any]:
    """The fields of the one card (``AR_APS/AR_AP``…) in a transfer document, as text."""
    return {child.tag: (child.text or "") for child in _transfer_record(data_xml, collection, record)}


def order_xml(firm: Firm, ref: int) -> str:
    slip = firm.order(ref)
    if slip is None:
        raise LogoBusinessError("Kayıt bulunamadı.")
    customer = firm.row(f"SELECT CODE FROM {firm.t('CLCARD')} WHERE LOGICALREF = ?", (slip["CLIENTREF"],))
    root = etree.Element("SALES_ORDERS")
    record = etree.SubElement(root, "ORDER_SLIP", DBOP="UPD")
    day = date.fromisoformat(slip["DATE_"][:10])
    for tag, value in (
        ("DATA_REFERENCE", slip["LOGICALREF"]),
        ("NUMBER", slip["FICHENO"]),
        ("DATE", f"{day:%d.%m.%Y}"),
        ("TIME", slip["TIME_"]),
        ("DOC_NUMBER", slip["DOCODE"]),
        ("AUXIL_CODE", slip["SPECODE"]),
        ("ARP_CODE", customer["CODE"] if customer else ""),
        ("ORDER_STATUS", slip["STATUS"]),
        ("TOTAL_NET", slip["NETTOTAL"]),
        ("CANCELLED", slip["CANCELLED"]),
    ):
        etree.SubElement(record, tag).text = "" if value is None else str(value)
    transactions = etree.SubElement(record, "TRANSACTIONS")
    for line in firm.order_lines(ref):
        item = firm.row(f"SELECT CODE FROM {firm.t('ITEMS')} WHERE LOGICALREF = ?", (line["STOCKREF"],))
        row = etree.SubElement(transactions, "TRANSACTION")
        for tag, value in (
            ("TYPE", line["LINETYPE"]),
            ("MASTER_CODE", item["CODE"] if item else ""),
            ("QUANTITY", line["AMOUNT"]),
            ("PRICE", line["PRICE"]),
            ("SHIPPED_AMOUNT", line["SHIPPEDAMOUNT"]),
        ):
            etree.SubElement(row, tag).text = str(value)
    return etree.tostring(root, encoding="ISO-8859-9", xml_declaration=True).decode("iso-8859-9")


def result_xml(rows: list[dict[str, Any]]) -> str:
    root = etree.Element("RESULTXML")
    for row in rows:
        line = etree.SubElement(root, "RESULTLINE")
        for key, value in row.items():
            etree.SubElement(line, key).text = "" if value is None else str(value)
    return etree.tostring(root, encoding="unicode")


class LogoObjectService:
    """The SOAP operations over ``firm``; ``security_code`` is the shared secret the service is configured with."""

    def __init__(self, firm: Firm, security_code: str) -> None:
        self.firm = firm
        self.security_code = security_code
        self.appended: list[int] = []  # dataType of every AppendDataObject applied

    def answer(self, raw: bytes) -> tuple[int, str]:
        """(HTTP status, SOAP envelope) for one request body."""
        try:
            root = etree.fromstring(raw)
            body = root.find(f"{{{SOAP_NS}}}Body")
            call = body[0]
        except (etree.XMLSyntaxError, TypeError, IndexError):
            return 500, fault("The message is not a SOAP 1.1 envelope.")
        operation = etree.QName(call).localname
        if operation not in OPERATIONS:
            return 500, fault(f"The operation {operation} is not known.")
        values = {etree.QName(child).localname: (child.text or "") for child in call}
        if values.get("securityCode") != self.security_code:
            return 200, envelope(operation, {"status": 4, "errorString": "Güvenlik kodu hatalı."})
        if str(values.get("FirmNr") or "").lstrip("0") != str(self.firm.firm):
            return 200, envelope(operation, {"status": 4, "errorString": "Firma numarası hatalı."})
        try:
            with self.firm.lock:
                return 200, envelope(operation, getattr(self, f"_{operation}")(values))
        except LogoBusinessError as exc:
            return 200, envelope(operation, {"status": 4, "errorString": exc.message})

    def _AppendDataObject(self, values: dict[str, str]) -> dict[str, Any]:
        data_type = int(values.get("dataType") or -1)
        data_xml = values.get("dataXML") or ""
        if data_type == SALES_ORDER:
            ref = self.firm.create_order(transfer_order(data_xml))
            number = self.firm.order(ref)["FICHENO"]
        elif data_type == ACCOUNTS_RP:
            ref = self.firm.create_customer(transfer_card(data_xml, "AR_APS", "AR_AP"))
            number = ""
        elif data_type in SLIP_ROOTS:
            make, table = {
                BANK_VOUCHER: (self.firm.create_bank_slip, "BNFICHE"),
                SAFE_DEPOSIT: (self.firm.create_cash_slip, "KSLINES"),
                ARP_VOUCHER: (self.firm.create_arp_slip, "CLFICHE"),
            }[data_type]
            ref = make(transfer_slip(data_xml, *SLIP_ROOTS[data_type]))
            found = self.firm.row(f"SELECT FICHENO FROM {self.firm.p(table)} WHERE LOGICALREF = ?", (ref,))
            number = found["FICHENO"] if found else ""
        else:
            raise LogoBusinessError(f"Desteklenmeyen veri tipi: {values.get('dataType')}")
        self.appended.append(data_type)
        return {"status": 3, "dataReference": ref, "errorString": "", "returnNumber": number}

    def _ReadDataObject(self, values: dict[str, str]) -> dict[str, Any]:
        if int(values.get("dataType") or -1) != SALES_ORDER:
            raise LogoBusinessError(f"Desteklenmeyen veri tipi: {values.get('dataType')}")
        return {"status": 3, "dataXML": order_xml(self.firm, int(values.get("dataReference") or 0))}

    def _DeleteDataObject(self, values: dict[str, str]) -> dict[str, Any]:
        if int(values.get("dataType") or -1) != SALES_ORDER:
            raise LogoBusinessError(f"Desteklenmeyen veri tipi: {values.get('dataType')}")
        self.firm.cancel_order(int(values.get("dataReference") or 0), delete=True)
        return {"status": 3, "errorString": ""}

    def _ExecQuery(self, values: dict[str, str]) -> dict[str, Any]:
        try:
            sql = base64.b64decode(values.get("sqlText") or "").decode("utf-8")
        except ValueError:
            raise LogoBusinessError("sqlText base64 değil.") from None
        order = (values.get("orderByText") or "").strip()
        if order and not re.fullmatch(r"[A-Za-z0-9_., ]+", order):
            raise LogoBusinessError("Sıralama ifadesi hatalı.")
        rows = run_query(self.firm, f"{sql} ORDER BY {order}" if order else sql)
        return {"status": 3, "resultXML": result_xml(rows), "errorString": ""}


__all__ = ["SERVICE_PATH", "LogoObjectService", "transfer_card", "transfer_order", "transfer_slip", "wsdl"]
