"""A believable demo company: catalogue, stock, prices, dealers with their terms, users and orders.

What the ERP owns (units, categories, brands, warehouses, items with packs, stock, price lists and prices,
customer accounts with addresses, agreements, balances, credit limits and holds) reaches the portal the way it
does in production: as export files in the file adapter's drop folder, read by ``erpsync.importers.sync_import``.
The sample export is committed in ``demo/sample_export/`` and rebuilt by ``demo_erp_export_write`` (``manage.py
demo --write-erp-files``) from the same plans the rest of the demo uses. What the portal owns (users, dealer
IBANs, exchange rates, staff settings on dealers and products, orders with their history) is written by this package:

- ``catalogue_data``, ``catalogue``: the ERP's categories, brands, items, stock and price lists;
- ``customers``: the ERP's dealer accounts, their people, addresses, terms, credit and agreements;
- ``erp_export``: the sample export as records and files; ``erp_import``: its import through the file connection;
- ``portal_settings``, ``users``, ``order_history``: what the portal owns;
- ``load``: ``demo_load``, which runs it all in one transaction.

``demo_load`` is deterministic (one ``random.Random(2026)``, no network) and idempotent: the sync skips a feed
identical to the one it applied before, and every portal row has a natural key (e-mail, order number, or a
composite key), so a second run creates only what is missing. It never overwrites rows that already exist,
so edits made while demoing survive.
"""
