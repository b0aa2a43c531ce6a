"""The SAP ECC / S/4HANA adapter: RFC calls of standard BAPIs through pyrfc (optional: it needs SAP's NW RFC SDK).

- ``settings``: the connection settings and the connection parameters from the credentials store;
- ``transport``: the ``pyrfc.Connection``-shaped seam, pyrfc's (imported lazily) and the simulator's;
- ``session``: the session pool and its cap, error mapping, ``RFC_READ_TABLE`` reads within its 512-character row;
- ``reads``: materials, units, availability, dealer prices, customers, credit, balances, order statuses, deliveries,
  invoices, the ledger, open orders;
- ``writes``: orders (looked up before every create, committed only without E/A messages) and cancellations;
- ``mapping``: ALPHA conversion, SAP dates and numbers, BAPI messages, order states;
- ``adapter``: ``SapRfcAdapter``, which composes them.
"""

from erpsync.adapters.sap_rfc.adapter import SapRfcAdapter

__all__ = ["SapRfcAdapter"]
