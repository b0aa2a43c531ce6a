"""The product admin's inlines for pictures and documents: each upload passes ``b2bportal.uploads`` and is stored by
``catalog.media``; the file's name and stated type are ignored."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from b2bportal.uploads import UploadRefused
from catalog.media import document_content_set, image_content_set, thumbnail_url
from catalog.models import ProductDocument, ProductImage


def _read(upload, limit: int) -> bytes:
    if upload.size > limit:
        raise forms.ValidationError(_("The file is too large."))
    return upload.read()


class ProductImageForm(forms.ModelForm):
    upload = forms.FileField(label=_("Picture file"), required=False, help_text=_("JPEG, PNG, WebP or GIF."))

    class Meta:
        model = ProductImage
        fields = ("upload", "position", "is_primary", "alt_text")

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is None:
            if not self.instance.original:
                raise forms.ValidationError(_("Choose a picture file."))
            return None
        try:
            image_content_set(self.instance, _read(upload, settings.B2B_PRODUCT_IMAGE_MAX_BYTES))
        except UploadRefused as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class ProductImageFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        primary = [
            form for form in self.forms if form.cleaned_data.get("is_primary") and not form.cleaned_data.get("DELETE")
        ]
        if len(primary) > 1:
            raise forms.ValidationError(_("Only one picture can be the primary one."))


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    form = ProductImageForm
    formset = ProductImageFormSet
    fields = ("preview", "upload", "position", "is_primary", "alt_text", "source", "source_key")
    readonly_fields = ("preview", "source", "source_key")
    extra = 0

    @admin.display(description=_("Picture"))
    def preview(self, image):
        if not image.pk or not image.digest:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="64" height="64"> {}×{} {}',
            thumbnail_url(image.digest, "list"),
            image.width,
            image.height,
            image.format,
        )


class ProductDocumentForm(forms.ModelForm):
    upload = forms.FileField(label=_("File"), required=False, help_text=_("PDF."))

    class Meta:
        model = ProductDocument
        fields = ("upload", "title", "kind", "language", "position")

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is None:
            if not self.instance.file:
                raise forms.ValidationError(_("Choose a file."))
            return None
        try:
            document_content_set(self.instance, _read(upload, settings.B2B_PRODUCT_DOCUMENT_MAX_BYTES))
        except UploadRefused as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class ProductDocumentInline(admin.TabularInline):
    model = ProductDocument
    form = ProductDocumentForm
    fields = ("upload", "title", "kind", "language", "position", "size", "source", "source_key")
    readonly_fields = ("size", "source", "source_key")
    extra = 0
