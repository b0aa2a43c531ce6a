"""The Logo Netsis adapter: talks to NetOpenX REST (``/api/v2``, a password-grant token with the company database).

- ``settings``: the connection settings and credentials, and what each one means;
- ``session``: the token (shared, renewed when Netsis refuses it), the ``TResult`` envelope, errors, retries,
  SelectFilter lists page by page, explicit transactions;
- ``reads``: units, items, warehouses, stock, sale prices, customer accounts, balances, credit, order statuses,
  dispatches, invoices and the ledger;
- ``writes``: sales orders and quotes as item slips (looked up before every create), their cancellation,
  collections as bank account transactions or fast collection slips;
- ``mapping``: Netsis's rows to the contract's records, without requests;
- ``adapter``: ``NetsisAdapter``, which composes them.
"""

from erpsync.adapters.netsis.adapter import NetsisAdapter

__all__ = ["NetsisAdapter"]
