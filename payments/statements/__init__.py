"""Bank statement import: MT940, CAMT.053 and per-bank CSV files into ``BankStatement`` and ``BankTransaction``.

The parsers (``mt940_format``, ``camt053_format``, ``csv_format``) turn a file's bytes into plain frozen records
(``records``) and touch no database; ``importer.statement_import`` stores one file in one transaction.
Matching and allocation of the imported lines happen elsewhere.
"""
