"""Reconciliation exports for accountants: the portal's figures next to the ERP's, row by row, with why they differ.

Three reports, each a header and a generator of rows; the last column of every row is its flag ("" or the
reason the two sides differ), and one bold totals row per currency closes the file:

- orders placed in the period: the portal's total against the ERP's invoices less its credit memos for the order,
  the portal's status against the last status the ERP reported;
- payments whose money arrived in the period: card payments (by confirmation) and incoming bank transfers (by value
  date) against the collections the outbox posted to the ERP (``SyncJob`` of kind payment export: ``payment:<ref>``
  for a card payment, ``bank:<transaction>:<n>`` for a transfer) less the refunds posted as credit memos;
- balances, as of now: each dealer's ERP balance against the sum of the account movements the ERP sent.

Rows are read with ``iterator`` in chunks, and what a chunk needs from other tables is fetched with one query per
chunk, so memory stays flat whatever the number of rows. ``reconciliation_export_run`` (a django-q2 task) writes
the file with ``b2bportal.spreadsheets`` and records progress on the export.
"""

from erpsync.reconciliation.balances import balance_columns, balance_count, balance_rows
from erpsync.reconciliation.orders import order_columns, order_count, order_rows
from erpsync.reconciliation.payments import payment_columns, payment_count, payment_rows
from erpsync.reconciliation.report import Column, Report, TotalRow, period_bounds
from erpsync.reconciliation.writer import (
    REPORTS,
    export_file_write,
    reconciliation_export_again,
    reconciliation_export_queue,
    reconciliation_export_request,
    reconciliation_export_run,
)

__all__ = [
    "REPORTS",
    "Column",
    "Report",
    "TotalRow",
    "balance_columns",
    "balance_count",
    "balance_rows",
    "export_file_write",
    "order_columns",
    "order_count",
    "order_rows",
    "payment_columns",
    "payment_count",
    "payment_rows",
    "period_bounds",
    "reconciliation_export_again",
    "reconciliation_export_queue",
    "reconciliation_export_request",
    "reconciliation_export_run",
]
