"""The Mikro adapter: Mikro (v15/v16/v17) at the SQL Server level, one company database per connection.

- ``settings``: the connection settings and credentials, and what each one means;
- ``dialect``: the only vendor-specific code: the driver by URL scheme (pymssql for SQL Server, psycopg for the
  Mikro-shaped PostgreSQL database of the tests), the series lock, which errors mean "not reachable";
- ``session``: one connection, reads page by page over a key, writes in one transaction, errors mapped to the
  contract's kinds;
- ``reads``: units, categories, brands, items, warehouses, stock, price lists and prices, customers, balances,
  credit holds, order statuses, open orders and the ledger;
- ``writes``: orders as SIPARISLER rows (deterministic Guids, numbered under a lock), their cancellation, collections;
- ``mapping``: Mikro's rows to the contract's records, without statements;
- ``adapter``: ``MikroAdapter``, which composes them.
"""

from erpsync.adapters.mikro.adapter import MikroAdapter

__all__ = ["MikroAdapter"]
