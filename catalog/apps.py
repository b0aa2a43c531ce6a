from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from catalog import notifications  # noqa: F401  (notification kinds)
        from catalog.categories import category_tree_forget
        from catalog.models import Brand, Category, ExchangeRate, PriceList, Unit
        from catalog.pricing import price_data_changed
        from catalog.selectors import brand_choices_forget
        from catalog.stock_alert_tasks import schedules_install
        from catalog.units import units_forget

        # Bulk writes (queryset.update, bulk_create) send no signals: importers call category_tree_forget().
        post_save.connect(category_tree_forget, sender=Category, dispatch_uid="catalog-category-tree-save")
        post_delete.connect(category_tree_forget, sender=Category, dispatch_uid="catalog-category-tree-delete")
        post_save.connect(brand_choices_forget, sender=Brand, dispatch_uid="catalog-brands-save")
        post_delete.connect(brand_choices_forget, sender=Brand, dispatch_uid="catalog-brands-delete")
        # Price lists and exchange rates, kept by every process (catalog/pricing.py); bulk writers call it.
        for model in (PriceList, ExchangeRate):
            name = model._meta.model_name
            post_save.connect(price_data_changed, sender=model, dispatch_uid=f"catalog-price-data-save-{name}")
            post_delete.connect(price_data_changed, sender=model, dispatch_uid=f"catalog-price-data-delete-{name}")
        post_save.connect(units_forget, sender=Unit, dispatch_uid="catalog-units-save")
        post_delete.connect(units_forget, sender=Unit, dispatch_uid="catalog-units-delete")
        post_migrate.connect(schedules_install, sender=self, dispatch_uid="catalog-stock-alert-schedules")
