"""The Tryton adapter's connection settings, declared in ``TrytonSettings`` and parsed once when the adapter is made
(the table in docs/tryton.md is generated from the declaration).

Payments need both ``payment_journal`` and ``payment_account``: each collection becomes a posted journal entry,
that account debited, the customer's receivable credited, the portal's reference as the entry's description (what
the lookup finds it by). Tryton's accountants reconcile it with the invoices, as they do with any receipt.

Credentials: ``key``, the key of a validated ``res.user.application`` (application "REST API").

Every connection's settings (the outbox, ``delta_overlap_seconds``: Tryton stamps records with its own clock,
watermarks come from the portal's) are in ``erpsync.common_settings``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

from erpsync.connection_settings import (
    REQUIRED,
    Choice,
    Flag,
    Integer,
    Number,
    Problem,
    Settings,
    Text,
    TextList,
    Url,
)

ORDER_STATES = ("draft", "quotation", "confirmed")


class TrytonSettings(Settings):
    owner = "Tryton adapter"
    title = "Tryton"

    base_url = Url("The Tryton server's root URL, e.g. `https://erp.example:8000/`.", default=REQUIRED)
    database = Text(
        "The Tryton database the REST API serves (the first part of its paths).",
        default=REQUIRED,
        blank=False,
        check=(lambda name: "/" not in name, "the name of the Tryton database"),
    )
    verify_tls = Flag("Check the server's TLS certificate.", default=True)
    timeout_seconds = Number("Seconds to wait for an answer.", default=30, positive=True, as_float=True)
    page_size = Integer(
        "Records per request (paged by id, so records added meanwhile cannot shift a page).", default=200, positive=True
    )
    sellable_warehouses = TextList(
        "Codes of the warehouses the portal sells from (Tryton has no such flag); without it every warehouse is."
    )
    order_warehouse = Text(
        "The warehouse code sales are created in; without it the only sellable warehouse, else Tryton's default.",
        default="",
    )
    order_state = Choice(
        "How far a pushed sale goes: `draft`, `quotation` (numbered, waiting for sales staff) or `confirmed` "
        "(shipments and invoices are made at once).",
        choices=ORDER_STATES,
        default="quotation",
    )
    reference_prefix = Text(
        "Only sales whose customer reference starts with it are reported back as the portal's.", default=""
    )
    payment_journal = Text(
        "The code of the journal collections are posted in (e.g. `CASH`); with `payment_account`, or neither.",
        default="",
    )
    payment_account = Text("The code of the account collections are debited to (bank or card clearing).",
                           default="")  # fmt: skip

    def clean(self) -> list[Problem]:
        if bool(self.payment_journal) != bool(self.payment_account):
            missing = "payment_account" if self.payment_journal else "payment_journal"
            return [self.problem(missing, "payments need both 'payment_journal' and 'payment_account'.")]
        return []


def api_key(credentials: Mapping[str, str]) -> str:
    key = credentials.get("key", "")
    if not key:
        raise ImproperlyConfigured(
            "Tryton adapter: credentials need 'key', the key of a validated REST user application."
        )
    return key
