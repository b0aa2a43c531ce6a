"""The Tryton adapter: talks to a Tryton server's REST API (``/<database>/rest/model/<model>``) over HTTP(S).

Tryton is GPL software: the portal never imports it; it only exchanges JSON with the server.

- ``settings``: the connection settings and credentials, and what each one means;
- ``session``: the HTTP session, Tryton's JSON encoding (``dumps``, ``encode_param``), context, searches, buttons;
- ``reads``: units, products, warehouses, stock, prices, customers, statuses, documents, the ledger, open orders;
- ``writes``: sales (looked up before every create), cancellations, quotes (sales in the quotation state, their
  reference marked ``quote:``) and their cancellation, receipts of payments;
- ``mapping``: Tryton's records to the contract's records, without requests;
- ``adapter``: ``TrytonAdapter``, which composes them.
"""

from erpsync.adapters.tryton.adapter import TrytonAdapter
from erpsync.adapters.tryton.mapping import order_state, vat_rate
from erpsync.adapters.tryton.session import dumps, encode_param, error_message

__all__ = ["TrytonAdapter", "dumps", "encode_param", "error_message", "order_state", "vat_rate"]
