"""Importer of product pictures and documents (``ErpProductMedia``): each record is checked and stored by
``catalog.media``, one by one (a file is the unit; volumes are a few per product).

A record naming a product the portal does not know, or a file that is not an acceptable picture or document,
becomes an issue in the exception queue (and the feed is told, so a drop folder sets that file aside); the other
records are applied. A file whose content the portal already has under the same key changes nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from b2bportal.uploads import UploadRefused
from catalog.media import product_document_import, product_image_import, product_media_remove
from catalog.models import Product, ProductDocument, ProductImage
from erpsync.adapters.base import ErpProductMedia, MediaKind
from erpsync.binders import to_internal
from erpsync.importers.engine import ImportContext

DOCUMENT_KINDS = frozenset(ProductDocument.Kind.values)


class ProductMediaImporter:
    entity = "product_media"

    def apply(self, ctx: ImportContext) -> None:
        for record in ctx.tick(ctx.feed.records):
            self._apply(ctx, record)

    def _product(self, ctx: ImportContext, code: str) -> Product | None:
        local_id = to_internal(ctx.connection, "product", code)
        queryset = Product.objects.only("pk", "sku", "thumbnail_key")
        return queryset.filter(pk=local_id).first() if local_id else queryset.filter(sku=code).first()

    def _refuse(self, ctx: ImportContext, record: ErpProductMedia, code: str, message: str) -> None:
        ctx.reject(
            key=f"{record.product_code}:{record.key}"[:255],
            code=code,
            message=message,
            payload={
                "product": record.product_code,
                "kind": str(record.kind),
                "key": record.key,
                "file": record.source,
            },
        )
        ctx.feed.refuse_record(record, message)

    def _apply(self, ctx: ImportContext, record: ErpProductMedia) -> None:
        product = self._product(ctx, record.product_code)
        if product is None and record.removed:
            ctx.counts.unchanged += 1  # nothing to take off a product the portal does not have
            return
        if product is None:
            self._refuse(
                ctx,
                record,
                "unknown_product",
                _("%(file)s is for product %(code)s, which the portal does not know.")
                % {"file": record.source or record.key, "code": record.product_code},
            )
            return
        source_key = f"{ctx.connection.code}:{record.key}"[:255]
        if record.error:
            self._refuse(
                ctx,
                record,
                "file_unavailable",
                _("The ERP could not hand out %(file)s for product %(code)s: %(reason)s")
                % {"file": record.source or record.key, "code": record.product_code, "reason": record.error},
            )
            return
        if record.removed:
            held = (
                ProductImage.objects.filter(product=product, source_key=source_key).exists()
                or ProductDocument.objects.filter(product=product, source_key=source_key).exists()
            )
            removed = held and product_media_remove(product=product, source_key=source_key)
            if removed:
                ctx.counts.deactivated += 1
            else:
                ctx.counts.unchanged += 1
            return
        try:
            if record.kind == MediaKind.IMAGE:
                outcome = product_image_import(
                    product=product, source_key=source_key, data=record.content or b"", position=record.position
                )
            else:
                kind = record.document_kind if record.document_kind in DOCUMENT_KINDS else "other"
                outcome = product_document_import(
                    product=product,
                    source_key=source_key,
                    data=record.content or b"",
                    title=record.title or record.key,
                    kind=kind,
                    language=record.language,
                    position=record.position,
                )
        except UploadRefused as exc:
            self._refuse(
                ctx,
                record,
                "bad_file",
                _("%(file)s for product %(code)s is refused: %(reason)s")
                % {"file": record.source or record.key, "code": record.product_code, "reason": exc.message},
            )
            return
        if outcome.created:
            ctx.counts.created += 1
        elif outcome.changed:
            ctx.counts.updated += 1
        else:
            ctx.counts.unchanged += 1
