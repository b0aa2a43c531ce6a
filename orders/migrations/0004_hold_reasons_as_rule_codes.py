"""Hold reasons written as plain sentences become rule codes, as placement records them (``orders.reasons``)."""

from django.db import migrations

# The sentences the demo company wrote before reasons were structured, by their opening words.
PREFIXES = {
    "credit hold": "credit_hold",
    "credit:": "credit_limit",
    "credit limit": "credit_limit",
    "stock": "stock",
    "insufficient stock": "stock",
    "manual review": "manual_review",
    "price changed": "price_changed",
    "above the buyer": "buyer_limit",
}


def structured(reason):
    if isinstance(reason, dict):
        return reason
    text = str(reason).strip()
    lowered = text.lower()
    rule = next((code for prefix, code in PREFIXES.items() if lowered.startswith(prefix)), "")
    if rule:
        return {"rule": rule, "passed": False, "action": "hold", "details": {}}
    return {"rule": "", "passed": False, "action": "hold", "details": {}, "text": text}


def forwards(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    changed = []
    for order in Order.objects.only("pk", "hold_reasons").iterator(chunk_size=500):
        reasons = [structured(reason) for reason in order.hold_reasons or []]
        if reasons != order.hold_reasons:
            order.hold_reasons = reasons
            changed.append(order)
    Order.objects.bulk_update(changed, ["hold_reasons"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_approval_queue")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
