"""Statement accounts stored as the file wrote them ("TR…/TRY", "TR19 0006 …") become the compact IBAN, and the
fingerprints of their lines are recomputed with it.

A line's fingerprint hashes its account, so lines stored under "TR…/TRY" would not be recognised by a later file
that names the account plainly (a CAMT.053 of the same day): every line would be stored again. Each fingerprint is
recomputed only when it can be reproduced from the stored line exactly (the key as it was computed then, with the
occurrence number found by trying); a line whose fingerprint cannot be reproduced keeps it. When the recomputed
fingerprint is already taken, the same bank line was stored twice before this fix (once under each spelling of
the account): the copy under the old spelling keeps its fingerprint and, if nobody has matched it yet, is set
aside as a duplicate so that it does not wait in the matching queue.
"""

import hashlib
import re

from django.db import migrations

from b2bportal.text import compact_key
from payments.statements.ibans import statement_account

# The key format the stored fingerprints were computed with (payments/statements/fingerprints.py).
EMPTY_REFERENCES = frozenset({"", "NONREF", "NOTPROVIDED", "NONE", "-", "0"})
MAX_OCCURRENCE = 1000


def _identity(reference, description):
    compact = re.sub(r"\s+", "", reference or "").upper()
    return f"ref:{compact}" if compact not in EMPTY_REFERENCES else f"text:{compact_key(description)}"


def _hash(key, occurrence):
    return hashlib.sha256(f"{key}|{occurrence}".encode()).hexdigest()


def _fingerprint_with(line, old_account, new_account):
    """The line's fingerprint recomputed under ``new_account``, or None when the stored one cannot be
    reproduced. The importer may have added a note about an invalid counterparty IBAN after the description."""
    descriptions = [line.description]
    if "\n" in line.description:
        descriptions.append(line.description.rsplit("\n", 1)[0])
    for description in descriptions:
        rest = (line.booking_date.isoformat(), f"{line.amount:.2f}", line.currency,
                _identity(line.bank_reference, description))  # fmt: skip
        old_key = "|".join((old_account, *rest))
        for occurrence in range(MAX_OCCURRENCE):
            if _hash(old_key, occurrence) == line.fingerprint:
                return _hash("|".join((new_account, *rest)), occurrence)
    return None


def forwards(apps, schema_editor):
    BankStatement = apps.get_model("payments", "BankStatement")
    BankTransaction = apps.get_model("payments", "BankTransaction")
    for written in BankStatement.objects.values_list("account_iban", flat=True).distinct():
        number = statement_account(written).number
        if number != written:
            BankStatement.objects.filter(account_iban=written).update(account_iban=number)
    for written in BankTransaction.objects.values_list("account_iban", flat=True).distinct():
        number = statement_account(written).number
        if number == written:
            continue
        for line in BankTransaction.objects.filter(account_iban=written).order_by("pk"):
            line.account_iban = number
            fingerprint = _fingerprint_with(line, written, number)
            twin = BankTransaction.objects.filter(fingerprint=fingerprint).first() if fingerprint else None
            if twin is None and fingerprint:
                line.fingerprint = fingerprint
            elif twin is not None and line.status == "unmatched":
                line.status = "ignored"
                line.status_reason = f"duplicate of bank transaction {twin.pk}"
            line.save(update_fields=["account_iban", "fingerprint", "status", "status_reason"])


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_refunds_two_phase")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
