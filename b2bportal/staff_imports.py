"""Staff import and export in the admin (django-import-export): the library's preview-and-confirm step and row
errors, with the portal's rules added once for every resource.

- **Portal-owned fields only.** Where the ERP feeds a field, the next sync would overwrite an imported value, so a
  resource declares ``erp_owned``: column → the ERP feed that owns it. A file with any such column is refused as a
  whole before a row is read, with a message naming the column(s) and the feed.
- **Uploads checked first.** An XLSX workbook passes ``b2bportal.uploads.xlsx_check`` (part sizes, unpacked size,
  shared strings, cells) before openpyxl opens it; the request body is capped by ``SizeLimitUploadHandler`` as for
  every upload. A refused file is reported on the form with the reason.
- Formats: CSV and XLSX both ways.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import resources
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.widgets import ForeignKeyWidget

from b2bportal.uploads import UploadRefused, XlsxLimits, xlsx_check

IMPORT_XLSX_LIMITS = XlsxLimits(max_shared_strings=200_000, max_cells=500_000)


class CheckedXLSX(XLSX):
    """XLSX read only after the workbook passed the upload checks."""

    def create_dataset(self, in_stream):
        xlsx_check(bytes(in_stream), IMPORT_XLSX_LIMITS)
        return super().create_dataset(in_stream)


def _column(header) -> str:
    return str(header or "").strip().lower()


class PortalOwnedResource(resources.ModelResource):
    """A resource whose import refuses columns the ERP owns (``erp_owned``: column → the feed that writes it)."""

    erp_owned: dict[str, str] = {}

    def before_import(self, dataset, **kwargs):
        owned = {_column(name): feed for name, feed in self.erp_owned.items()}
        refused = [str(h) for h in dataset.headers or [] if _column(h) in owned]
        if refused:
            raise ValidationError(
                _("The ERP owns %(columns)s (%(feeds)s): remove the column; the next sync would overwrite it.")
                % {
                    "columns": ", ".join(refused),
                    "feeds": ", ".join(sorted({owned[_column(c)] for c in refused})),
                }
            )
        super().before_import(dataset, **kwargs)


class CodeWidget(ForeignKeyWidget):
    """A foreign key by its code, with a row error naming the code when nothing has it."""

    def __init__(self, model, field, message):
        super().__init__(model, field)
        self.message = message

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(self.message % {"code": value}) from None


class _ReadFailure:
    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, UploadRefused):
            form.add_error("import_file", e.message)
            return
        super().add_data_read_fail_error_to_form(form, e)


class StaffImportExportMixin(_ReadFailure, ImportExportMixin):
    import_formats = [CSV, CheckedXLSX]
    export_formats = [CSV, XLSX]


class StaffExportMixin(ExportMixin):
    export_formats = [CSV, XLSX]
