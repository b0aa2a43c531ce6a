"""The DİA adapter: talks to DİA's web service API v3 (JSON over HTTPS, one POST endpoint per module).

- ``settings``: the connection settings and credentials, and what each one means;
- ``session``: the session (shared, replaced under a lock), company discovery, calls and kontör counted, errors;
- ``reads``: items, prices, depots, stock, customers, balances, the ledger, order statuses, dispatches, invoices;
- ``writes``: sales orders (looked up before every create), cancellations by the company's rule, collections;
- ``mapping``: DİA's rows to the contract's records, without calls;
- ``adapter``: ``DiaAdapter``, which composes them.
"""

from erpsync.adapters.dia.adapter import DiaAdapter

__all__ = ["DiaAdapter"]
