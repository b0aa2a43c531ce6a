"""The Paraşüt adapter: talks to Paraşüt's API v4 (JSON:API, OAuth2) over HTTPS.

- ``settings``: the connection settings and credentials, and what each one means;
- ``session``: tokens (shared, renewed under a lock), the company's shared rate budget, errors, retries, pages;
- ``reads``: products, prices, warehouses, stock, customers, balances, invoices, the ledger;
- ``webhooks``: the check of Paraşüt's webhook deliveries and the targeted reads they lead to;
- ``writes``: orders as draft invoices or offers (looked up before every create), cancellations, collections;
- ``mapping``: Paraşüt's JSON:API resources to the contract's records and back, without requests;
- ``adapter``: ``ParasutAdapter``, which composes them.
"""

from erpsync.adapters.parasut.adapter import ParasutAdapter

__all__ = ["ParasutAdapter"]
