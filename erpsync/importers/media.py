"""Importer of product pictures and documents (``ErpProductMedia``): each record is checked and stored by
``catalog.media``, one by one (a file is the unit; volumes are a few per product).

A record naming a product the portal does not know, or a file that is not an acceptable picture or document,
becomes an issue in the exception queue (and the feed is told, so a drop folder sets that file aside); the other
records are applied. A file whose content the portal already has under the same key changes nothing.

What is removed, and when (only pictures and documents the ERP owns: staff's uploads are never touched):

- a change feed removes what a record says is gone (``removed``), and nothing else: a picture a change feed does
  not mention, or whose record says nothing of it (``untold``: a field absent from the ERP's answer), is kept;
- a complete feed (a full snapshot of the ERP's pictures) also removes the ERP's pictures it no longer holds, for
  every product. Its removals, said or missing, wait until the feed is read and pass the removal brake
  (``erpsync.importers.brake``) together: above the connection's share, nothing is removed and an issue is opened.
  A record the portal refused (a file the ERP could not hand out, a bad file) or one that says nothing of the
  picture (``untold``) still counts as held: a picture is not taken away because its new file could not be read.

The files of removed or replaced pictures are deleted after the feed's transaction commits (``catalog.media``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from b2bportal.uploads import UploadRefused
from catalog.media import erp_media_remove, product_document_import, product_image_import
from catalog.models import MediaSource, Product, ProductDocument, ProductImage
from erpsync.adapters.base import ErpProductMedia, MediaKind
from erpsync.binders import to_internal
from erpsync.importers.brake import REMOVAL_HELD, removal_brake, removal_held_issue
from erpsync.importers.engine import ImportContext
from erpsync.issues import sync_issues_resolve

DOCUMENT_KINDS = frozenset(ProductDocument.Kind.values)


PICTURES_HELD_KEY = "product_media:pictures"


class ProductMediaImporter:
    entity = "product_media"

    def __init__(self) -> None:
        # (product id, source key) of every record of the feed for a product the portal has, and the ones a
        # complete feed says are gone (removed once the whole feed is read).
        self.held: set[tuple[int, str]] = set()
        self.gone: set[tuple[int, str]] = set()

    def apply(self, ctx: ImportContext) -> None:
        for record in ctx.tick(ctx.feed.records):
            self._apply(ctx, record)
        if ctx.feed.complete:
            self._remove_missing(ctx)

    def _remove_missing(self, ctx: ImportContext) -> None:
        """A complete feed: remove the ERP's pictures (of this connection) it does not hold, and the pictures and
        documents it says are gone, unless the brake holds them all back."""
        prefix = f"{ctx.connection.code}:"
        pictures = list(
            ProductImage.objects.filter(source=MediaSource.ERP, source_key__startswith=prefix).values_list(
                "pk", "product_id", "source_key"
            )
        )
        kept = self.held - self.gone
        images = {pk: product_id for pk, product_id, key in pictures if (product_id, key) not in kept}
        documents = [
            pk
            for pk, product_id, key in ProductDocument.objects.filter(
                source=MediaSource.ERP, source_key__in={key for _product, key in self.gone}
            ).values_list("pk", "product_id", "source_key")
            if (product_id, key) in self.gone
        ]
        verdict = removal_brake(
            options=ctx.options,
            removing=len(set(images.values())),
            holding=len({product_id for _pk, product_id, _key in pictures}),
        )
        if verdict.held:
            ctx.issues.append(
                removal_held_issue(
                    entity=self.entity,
                    key=PICTURES_HELD_KEY,
                    subject=_("Product pictures"),
                    verdict=verdict,
                    source=ctx.feed.source,
                )
            )
            ctx.counts.unchanged += len(images) + len(documents)
            ctx.failed += 1  # the run did not do all it was asked: partial, and the issue says why
            return
        if not ctx.dry_run:
            sync_issues_resolve(
                connection=ctx.connection, entity=self.entity, external_ids=[PICTURES_HELD_KEY], codes=[REMOVAL_HELD]
            )
        removed = erp_media_remove(image_ids=images, document_ids=documents)
        ctx.counts.deactivated += removed.images + removed.documents

    def _product(self, ctx: ImportContext, code: str) -> Product | None:
        local_id = to_internal(ctx.connection, "product", code)
        queryset = Product.objects.only("pk", "sku", "thumbnail_key")
        return queryset.filter(pk=local_id).first() if local_id else queryset.filter(sku=code).first()

    def _remove(self, ctx: ImportContext, product: Product, source_key: str) -> None:
        """The ERP says this picture or document is gone: a change feed removes it now, a complete feed once it is
        read whole and the brake let it."""
        if ctx.feed.complete:
            self.gone.add((product.pk, source_key))
            return
        removed = erp_media_remove(
            image_ids=ProductImage.objects.filter(
                product=product, source=MediaSource.ERP, source_key=source_key
            ).values_list("pk", flat=True),
            document_ids=ProductDocument.objects.filter(
                product=product, source=MediaSource.ERP, source_key=source_key
            ).values_list("pk", flat=True),
        )
        if removed.images or removed.documents:
            ctx.counts.deactivated += removed.images + removed.documents
        else:
            ctx.counts.unchanged += 1

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
        if product is None and (record.removed or record.untold):
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
        self.held.add((product.pk, source_key))
        if record.untold:
            ctx.counts.unchanged += 1  # the ERP did not say: what the portal has stays
            return
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
            self._remove(ctx, product, source_key)
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
