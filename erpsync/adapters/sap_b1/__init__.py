"""The SAP Business One adapter: talks to the Service Layer (``/b1s/v2/``, OData v4, or ``/b1s/v1/``) over HTTPS.

- ``settings``: the connection settings and credentials, and what each one means;
- ``session``: login, cookies, re-login, retries of reads, the cap on requests in flight;
- ``reads``: master data, stock, prices, customers, order statuses, documents, the ledger, open orders;
- ``chain``: how deliveries, invoices and credit memos lead back to the portal's orders;
- ``writes``: orders (looked up before every create), cancellations, incoming payments, credit memos;
- ``mapping``: SAP's JSON to the contract's records and back, without requests;
- ``adapter``: ``SapB1Adapter``, which composes them.

Journal entries keyed in by hand, opening balances and outgoing payments to customers are not read.
"""

from erpsync.adapters.sap_b1.adapter import SapB1Adapter
from erpsync.adapters.sap_b1.session import quote_literal

__all__ = ["SapB1Adapter", "quote_literal"]
