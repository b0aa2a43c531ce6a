"""The Logo Tiger / Go adapter: talks to the Logo Objects REST service (``/api/v1``, OAuth2 password grant).

- ``settings``: the connection settings and credentials, and what each one means;
- ``session``: the token (shared, renewed when Logo refuses it), errors, retries, ``queries?tsql=`` page by page;
- ``reads``: units, items, warehouses, stock, price cards, customers, balances, credit, order statuses, dispatches,
  invoices and the ledger, read with SQL over Logo's tables;
- ``writes``: sales orders (looked up before every create), their cancellation, collections as bank or cash slips;
- ``mapping``: Logo's rows to the contract's records, without requests;
- ``adapter``: ``LogoAdapter``, which composes them.
"""

from erpsync.adapters.logo.adapter import LogoAdapter

__all__ = ["LogoAdapter"]
