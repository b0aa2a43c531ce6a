"""The settings every ERP connection has, whatever its adapter: the outbox, the drift check, the schedules, the
stock shortfall rule, batch-managed items and the delta overlap. Each adapter declares its own on top
(``ErpAdapter.settings_class``); the two share the connection's one settings object.

Defaults: the outbox's come from the adapter class's attribute of the same name when it has one (an ERP that takes
more parallel work says so), else from the site's ``ERPSYNC_<NAME>``.

One delta overlap: ``delta_overlap_seconds`` is how far before the watermark a delta read starts again, to absorb
the difference between the portal's clock and the ERP's and changes the ERP commits late. Records read twice are
harmless: the importers update in place. The import engine applies it, once, for every adapter; the adapters read
from exactly the ``since`` they are given. Its default is the site's ``ERPSYNC_DELTA_BUFFER_SECONDS`` (300).
Before, the engine read back ``delta_buffer_seconds`` (the same site default) and the SAP B1 and Tryton adapters
another ``delta_overlap_seconds`` (300) on top, 600 seconds in all; now a connection's read-back is the one value
it sets. ``delta_buffer_seconds`` is still read, as a deprecated name of ``delta_overlap_seconds`` that the checks
warn about; when both are given ``delta_overlap_seconds`` wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from erpsync.connection_settings import (
    Choice,
    ChoiceList,
    Flag,
    Integer,
    Number,
    NumberMap,
    Problem,
    Settings,
    SettingsError,
    SiteDefault,
    settings_problems,
)
from erpsync.sqlchecks.settings import SqlCheckSettings
from orders.rules import RULES

DRIFT_CHECK_NAMES = ("balance", "stock", "orders")
# Minutes between imports of each entity unless the connection's ``schedules`` says otherwise (0: off).
SCHEDULE_MINUTES = {
    "unit": 60,
    "category": 60,
    "brand": 60,
    "warehouse": 60,
    "product": 60,
    "stock": 1,
    "price_list": 15,
    "price": 15,
    "agreement": 15,
    "customer": 60,
    "balance": 15,
    "credit": 15,
    "order_status": 5,
    "delivery": 15,
    "invoice": 15,
    "credit_memo": 15,
    "ledger": 60,
}


def _outbox_setting(name: str, help_text: str) -> Integer:
    """An outbox setting: a positive whole number, by default the adapter class's attribute of the same name, else
    the site's ``ERPSYNC_<NAME>``."""
    return Integer(help_text, default=SiteDefault(f"ERPSYNC_{name.upper()}", adapter_attribute=name), positive=True)


class CommonSettings(Settings):
    owner = "Connection settings"
    title = "Every connection"
    aliases = {"delta_buffer_seconds": "delta_overlap_seconds"}

    # The outbox (erpsync.outbox)
    outbox_max_attempts = _outbox_setting("outbox_max_attempts", "Tries of an export before it is given up as dead.")
    outbox_concurrency = _outbox_setting("outbox_concurrency", "Exports of the connection running at once.")
    outbox_breaker_failures = _outbox_setting(
        "outbox_breaker_failures", "Retryable failures in a row that open the circuit breaker."
    )
    outbox_breaker_seconds = _outbox_setting(
        "outbox_breaker_seconds",
        "The breaker's first cool-down; it doubles each time the breaker opens again (at most an hour).",
    )
    outbox_lease_seconds = _outbox_setting(
        "outbox_lease_seconds", "How long a worker holds a claimed export before another may take it over."
    )
    # Importing (erpsync.importers)
    delta_overlap_seconds = Integer(
        "How far before the watermark a delta reads again (clock skew, late commits); records read twice are harmless.",
        default=SiteDefault("ERPSYNC_DELTA_BUFFER_SECONDS"),
        minimum=0,
    )
    batch_items_sellable = Flag(
        "Whether batch- or serial-managed items may be sold on the portal; false imports them as not sellable.",
        default=True,
    )
    # The removal brake (erpsync.importers.brake)
    removal_brake_percent = Integer(
        "A full import that would take pictures off more than this share (%) of the products holding the ERP's "
        "pictures removes nothing and opens an issue instead (an empty or broken list); 100 turns the brake off.",
        default=20,
        minimum=0,
        maximum=100,
    )
    removal_brake_minimum = Integer(
        "Removals touching fewer products than this never trip the brake, whatever their share.",
        default=5,
        minimum=0,
    )
    stock_shortfall = Choice(
        "What an order short of stock does, instead of the site's `B2B_ORDER_RULES`.",
        choices=RULES["stock"],
    )
    # Quotes (erpsync.exporters.export_quote)
    quotes_to_erp = Choice(
        "`quote`: every quote version sent to a dealer becomes a quote document in the ERP (where the adapter can "
        "take quotes), and cancelling the quote cancels it there; `order_only`: only the order an accepted quote "
        "becomes goes to the ERP.",
        choices=("quote", "order_only"),
        default="order_only",
    )
    # Schedules (erpsync.schedules)
    schedules = NumberMap(
        'Minutes between imports per entity (`{"stock": 5}`); 0 turns an entity\'s import off.',
        keys=SCHEDULE_MINUTES,
        default={},
    )
    reconcile_hour = Integer("The hour (server time) of the nightly full reconcile.", default=2, minimum=0, maximum=23)
    # The drift check (erpsync.drift)
    drift_checks = ChoiceList("The comparisons the drift check makes.", choices=DRIFT_CHECK_NAMES,
                              default=DRIFT_CHECK_NAMES)  # fmt: skip
    drift_balance_tolerance = Number("A balance difference up to this is no drift.", default=Decimal("0.01"),
                                     minimum=0)  # fmt: skip
    drift_stock_tolerance = Number("A stock difference up to this is no drift (0: exact).", default=Decimal("0"),
                                   minimum=0)  # fmt: skip
    drift_order_grace_minutes = Number(
        "Orders changed this recently on either side are not compared yet.", default=Decimal("30"), minimum=0
    )
    drift_live_balance = Flag("Compare the balance the ERP gives live instead of the one imported.", default=False)
    drift_schedule_minutes = Integer("Minutes between scheduled drift checks; 0 turns them off.", default=60,
                                     minimum=0)  # fmt: skip


def settings_classes(adapter_class: type | None) -> tuple[type[Settings], ...]:
    """The declarations a connection of ``adapter_class`` is checked against: the common ones, the SQL checks'
    (``erpsync.sqlchecks``), then its own."""
    own = getattr(adapter_class, "settings_class", None)
    return (CommonSettings, SqlCheckSettings, own) if own else (CommonSettings, SqlCheckSettings)


def connection_settings_problems(adapter_class: type | None, raw: Mapping[str, Any] | None) -> list[Problem]:
    """Every problem of a connection's settings for ``adapter_class``: wrong values, missing required keys,
    unknown keys (errors) and deprecated names (warnings)."""
    return settings_problems(raw, settings_classes(adapter_class), context=adapter_class)


def adapter_settings_parse(
    adapter_class: type, raw: Mapping[str, Any] | None
) -> tuple[CommonSettings, Settings | None]:
    """The common and the adapter's own settings, parsed; raises ``SettingsError`` naming every wrong value.
    Keys neither declares are left to the checks (an adapter does not refuse to work over a stray key)."""
    common, problems = CommonSettings.read(raw, context=adapter_class)
    own = None
    if adapter_class.settings_class is not None:
        own, own_problems = adapter_class.settings_class.read(raw, context=adapter_class)
        problems = [*own_problems, *problems]
    errors = [p for p in problems if not p.warning]
    if errors:
        raise SettingsError(errors)
    return common, own
