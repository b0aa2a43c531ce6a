"""The admin form for uploading a statement file."""

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import BankStatement
from payments.statements.choices import profile_names
from payments.statements.records import MAX_STATEMENT_BYTES

AUTO = "auto"


class StatementImportForm(forms.Form):
    file = forms.FileField(label=_("Statement file"))
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("", "---------"), *BankStatement.Format.choices, (AUTO, _("Recognise it"))],
        help_text=_(
            "CAMT.053 is the end-of-day account statement (camt.053.001.02 to .08); camt.052 (intraday report) and "
            "camt.054 (debit/credit notification) files are not accepted: ask your bank for camt.053 or MT940."
        ),
    )
    profile = forms.ChoiceField(label=_("CSV profile"), required=False, help_text=_("Only for CSV files."))
    account_iban = forms.CharField(
        label=_("Account IBAN"),
        required=False,
        max_length=42,
        help_text=_("For a CSV file that does not name its account."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [("", "---------"), *((name, name) for name in profile_names())]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": MAX_STATEMENT_BYTES // (1024 * 1024)}
            )
        return upload
