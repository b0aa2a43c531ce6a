"""MT940 lines written without a transaction type code (``…C20,00NONREF``) were stored with the reference "EF": the
reader took "NONR" for the type code. Their fingerprints then held "ref:EF", so every such line of a day and amount
looked alike to a later file: a different line of the same day and amount was dropped as "already imported", and
the same line, read correctly now, would no longer be recognised and would be stored twice.

Each such line gets the reference it has ("", NONREF being none) and the fingerprint a file read today gives it:
the key with the line's text, its occurrence counted among the statement's lines with the same key, in the order
they were stored. Only lines whose stored fingerprint can be reproduced exactly from the old key are changed. When
the new fingerprint is already taken (the same bank line came again in another file, read correctly), the line
keeps its fingerprint and, if nobody has matched it yet, is set aside as a duplicate. Lines that were dropped
cannot be brought back from here: importing another file of those days (the CAMT.053, or a statement of several
days) adds them.
"""

import hashlib
import re
from collections import Counter

from django.db import migrations

from b2bportal.text import compact_key

PLACEHOLDER_TAIL = "EF"  # what was left of NONREF
MAX_OCCURRENCE = 1000


def _hash(key, occurrence):
    return hashlib.sha256(f"{key}|{occurrence}".encode()).hexdigest()


def _head(line):
    return (line.account_iban, line.booking_date.isoformat(), f"{line.amount:.2f}", line.currency)


def _old_fingerprint_reproduced(line):
    key = "|".join((*_head(line), f"ref:{PLACEHOLDER_TAIL}"))
    return any(_hash(key, occurrence) == line.fingerprint for occurrence in range(MAX_OCCURRENCE))


def _text_key(line, description):
    return "|".join((*_head(line), f"text:{compact_key(description)}"))


def forwards(apps, schema_editor):
    BankTransaction = apps.get_model("payments", "BankTransaction")
    placeholders = BankTransaction.objects.filter(bank_reference=PLACEHOLDER_TAIL, statement__format="mt940")
    for statement_id in placeholders.values_list("statement_id", flat=True).distinct().order_by("statement_id"):
        seen = Counter()
        lines = BankTransaction.objects.filter(statement_id=statement_id).order_by("pk")
        for line in lines:
            if line.bank_reference:
                if line.bank_reference != PLACEHOLDER_TAIL or not _old_fingerprint_reproduced(line):
                    continue
            # The importer may have added a note about an invalid counterparty IBAN after the description.
            description = re.split(r"\n(?=[^\n]*IBAN)", line.description)[0] if "\n" in line.description else None
            key = _text_key(line, line.description if description is None else description)
            occurrence = seen[key]
            seen[key] += 1
            if line.bank_reference != PLACEHOLDER_TAIL:
                continue  # a line stored without a reference: counted, as a file read today counts it
            fingerprint = _hash(key, occurrence)
            line.bank_reference = ""
            twin = BankTransaction.objects.filter(fingerprint=fingerprint).exclude(pk=line.pk).first()
            if twin is None:
                line.fingerprint = fingerprint
            elif line.status == "unmatched":
                line.status = "ignored"
                line.status_reason = f"duplicate of bank transaction {twin.pk}"
            line.save(update_fields=["bank_reference", "fingerprint", "status", "status_reason"])


class Migration(migrations.Migration):
    dependencies = [("payments", "0008_merge_statement_accounts_and_background_imports")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
