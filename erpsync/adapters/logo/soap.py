"""The Logo adapter's SOAP transport: a zeep client of the LogoObjectService (WCF, ``http://tempuri.org/``) built from
the service's own WSDL (``<soap_url>?wsdl``), for writes (``write_transport`` ``soap``) and, when
``query_transport`` is ``soap``, for the reads' SQL (``ExecQuery``).

- ``AppendDataObject`` with ``dataType`` 3 (doSalesOrderSlip; not 81 as some write-ups claim), ``dataReference`` 0,
  ``dataXML`` = ``SALES_ORDERS/ORDER_SLIP DBOP="INS"`` in the XML transfer format declared ``ISO-8859-9``,
  ``paramXML`` = ``<Parameters>`` flags, ``FirmNr`` and ``securityCode``; the reply's ``status`` 3 is done (its
  ``dataReference`` the new slip's LOGICALREF), 4 an error (``errorString``, Logo's message).
- ``AppendDataObject`` with ``dataType`` 30 (doAccountsRP) and ``AR_APS/AR_AP DBOP="INS"`` creates a customer card.
- ``DeleteDataObject`` (3, LOGICALREF) cancels an order slip while nothing is shipped.
- ``ExecQuery`` takes the statement base64-encoded in ``sqlText`` and answers ``resultXML`` with one ``<RESULTLINE>``
  per row (every value as text; an empty element for NULL).

Errors: status 4 and SOAP faults → ``PermanentError``; HTTP 5xx → ``RetryableError``; no answer to a write →
``OutcomeUnknownError``.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import requests
from lxml import etree
from zeep import Client, Settings
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.transports import Transport

from erpsync.adapters.base import PermanentError, RetryableError
from erpsync.adapters.http import transport_error

BINDING = "{http://tempuri.org/}BasicHttpBinding_ISvc"
SALES_ORDER = 3  # DataObjectType doSalesOrderSlip (UnityObjects type library)
ACCOUNTS_RP = 30  # doAccountsRP: customer cards (not a <CLCARD> root, as some write-ups claim)
BANK_VOUCHER, SAFE_DEPOSIT, ARP_VOUCHER = 24, 29, 31  # doBankVoucher, doSafeDepositTrans, doARAPVoucher
# DataObjectType → (collection, record) of its XML transfer document. The roots of 24, 29 and 31 are UNCONFIRMED (no
# public client sends them); they follow Logo's naming of the confirmed ones.
TRANSFER_ROOTS = {
    SALES_ORDER: ("SALES_ORDERS", "ORDER_SLIP"),
    ACCOUNTS_RP: ("AR_APS", "AR_AP"),
    BANK_VOUCHER: ("BANK_VOUCHERS", "BANK_VOUCHER"),
    SAFE_DEPOSIT: ("SD_TRANSACTIONS", "SD_TRANSACTION"),
    ARP_VOUCHER: ("ARP_VOUCHERS", "ARP_VOUCHER"),
}
DONE, FAILED = 3, 4
PARAMETERS = (
    "ReplicMode",
    "CheckParams",
    "CheckRight",
    "ApplyCampaign",
    "ApplyCondition",
    "FillAccCodes",
    "FormSeriLotLines",
    "GetStockLinePrice",
    "ExportAllData",
    "Validation",
    "CheckApproveDate",
)
PARAMETER_VALUES = {"CheckParams": 1, "CheckRight": 1, "FillAccCodes": 1, "Validation": 1}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def _day(text: str) -> str:
    return f"{date.fromisoformat(text):%d.%m.%Y}"


def transfer_xml(body: dict[str, Any], collection: str = "SALES_ORDERS", record: str = "ORDER_SLIP") -> str:
    """A REST-shaped body (``NUMBER``, ``DATE``, ``TRANSACTIONS.items``…) as the XML transfer document
    ``<collection><record DBOP="INS">``, declared ISO-8859-9 (every Turkish letter is in it); lines go under
    ``TRANSACTIONS/TRANSACTION``, dates as dd.mm.yyyy."""
    root = etree.Element(collection)
    slip = etree.SubElement(root, record, DBOP="INS")
    for key, value in body.items():
        if key == "TRANSACTIONS" or value in (None, ""):
            continue
        etree.SubElement(slip, key).text = _day(value) if key == "DATE" else _value(value)
    if "TRANSACTIONS" in body:
        transactions = etree.SubElement(slip, "TRANSACTIONS")
        for line in body["TRANSACTIONS"]["items"]:
            element = etree.SubElement(transactions, "TRANSACTION")
            for key, value in line.items():
                if value not in (None, ""):
                    etree.SubElement(element, key).text = _day(value) if key == "DUE_DATE" else _value(value)
    return etree.tostring(root, encoding="ISO-8859-9", xml_declaration=True).decode("iso-8859-9")


def order_transfer_xml(body: dict[str, Any]) -> str:
    """A REST-shaped sales order as ``SALES_ORDERS/ORDER_SLIP DBOP="INS"``."""
    return transfer_xml(body)


def parameters_xml(period: int) -> str:
    root = etree.Element("Parameters")
    for name in PARAMETERS:
        etree.SubElement(root, name).text = str(PARAMETER_VALUES.get(name, 0))
    etree.SubElement(root, "Period").text = str(period)
    return etree.tostring(root, encoding="unicode")


def result_rows(result_xml: str) -> list[dict[str, str]]:
    if not result_xml:
        return []
    try:
        root = etree.fromstring(result_xml.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise RetryableError(f"Logo's ExecQuery answered XML that cannot be read: {exc}") from None
    return [{child.tag: child.text or "" for child in line} for line in root.iter("RESULTLINE")]


class LogoSoap:
    """The SOAP half of ``LogoAdapter``'s transport."""

    _service: Any = None

    def _soap_service(self) -> Any:
        if self._service is None:
            transport = Transport(session=self._http, timeout=self.timeout, operation_timeout=self.timeout)
            try:
                # ExecQuery answers every row in one text node: past 10 MB libxml2 refuses it unless told.
                client = Client(self.soap_url + "?wsdl", transport=transport, settings=Settings(xml_huge_tree=True))
            except requests.RequestException as exc:
                raise transport_error(exc, who="Logo", method="GET", where="?wsdl", write=False) from exc
            except (TransportError, ZeepError) as exc:
                raise RetryableError(f"Logo's service description could not be read: {exc}") from exc
            self._service = client.create_service(BINDING, self.soap_url)
        return self._service

    def _soap(self, operation: str, *, write: bool, **values: Any) -> Any:
        service = self._soap_service()
        self.requests_sent += 1
        try:
            reply = getattr(service, operation)(FirmNr=self.firm, securityCode=self.security_code, **values)
        except requests.RequestException as exc:
            raise transport_error(exc, who="Logo", method=operation, where="LogoObjectService", write=write) from exc
        except Fault as exc:
            raise PermanentError(f"Logo refused {operation}: {exc.message}", code="fault") from exc
        except TransportError as exc:
            if exc.status_code >= 500 or exc.status_code in (408, 429):
                raise RetryableError(
                    f"Logo answered {exc.status_code} to {operation}", code=str(exc.status_code)
                ) from exc
            reason = str(exc.message or exc)[:200]
            raise PermanentError(
                f"Logo answered {exc.status_code} to {operation}: {reason}", code=str(exc.status_code)
            ) from exc
        if int(reply.status or 0) != DONE:
            raise PermanentError(f"Logo: {reply.errorString or 'status ' + str(reply.status)}", code=str(reply.status))
        return reply

    def soap_query(self, sql: str) -> list[dict[str, str]]:
        reply = self._soap(
            "ExecQuery", write=False, sqlText=base64.b64encode(sql.encode("utf-8")).decode("ascii"), orderByText=""
        )
        return result_rows(reply.resultXML or "")

    def soap_append(self, data_type: int, body: dict[str, Any]) -> tuple[int, str]:
        """(LOGICALREF, slip number or "") of the record ``body`` became, sent as data type ``data_type`` in its
        transfer document (``TRANSFER_ROOTS``)."""
        collection, record = TRANSFER_ROOTS[data_type]
        reply = self._soap(
            "AppendDataObject",
            write=True,
            dataType=data_type,
            dataReference=0,
            dataXML=transfer_xml(body, collection, record),
            paramXML=parameters_xml(self.period),
        )
        return int(reply.dataReference or 0), str(reply.returnNumber or "")

    def soap_append_order(self, body: dict[str, Any]) -> tuple[int, str]:
        """(LOGICALREF, slip number) of the order slip ``body`` became."""
        return self.soap_append(SALES_ORDER, body)

    def soap_delete_order(self, ref: int) -> None:
        self._soap("DeleteDataObject", write=True, dataType=SALES_ORDER, dataReference=ref)


__all__ = [
    "ACCOUNTS_RP",
    "SALES_ORDER",
    "TRANSFER_ROOTS",
    "LogoSoap",
    "order_transfer_xml",
    "parameters_xml",
    "result_rows",
    "transfer_xml",
]
