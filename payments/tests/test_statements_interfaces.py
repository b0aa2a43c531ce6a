"""The ways in: staff upload a statement in the admin, or run ``manage.py bank_statement_import``."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import UserFactory
from payments.models import BankCsvProfile, BankStatement, BankTransaction
from payments.statements.records import StatementError
from payments.tests.statement_files import (
    BANK_LAYOUTS,
    CSV_DEBIT_CREDIT,
    CSV_DEBIT_CREDIT_ACCOUNT,
    DATA,
    MT940,
    sample,
)

pytestmark = pytest.mark.django_db
IMPORT_URL = "admin:payments_bankstatement_import"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def upload(client, name: str, **fields):
    data = {"file": SimpleUploadedFile(name, sample(name)), **fields}
    return client.post(reverse(IMPORT_URL), data, follow=True, **EN)


def test_changelist_offers_the_import_to_staff_who_may_import(staff_client):
    html = staff_client.get(reverse("admin:payments_bankstatement_changelist"), **EN).content.decode()

    assert reverse(IMPORT_URL) in html and "Import statement" in html


def test_upload_imports_and_shows_the_result(staff_client, superuser):
    response = upload(staff_client, MT940, format="mt940")

    statement = BankStatement.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:payments_bankstatement_change", args=[statement.pk])
    html = response.content.decode()
    assert "Created 6 lines, skipped 0 already imported, 1 outgoing line ignored" in html
    assert statement.imported_by == superuser and statement.transactions.count() == 6


def test_upload_of_the_same_file_again_warns_and_adds_nothing(staff_client):
    upload(staff_client, MT940, format="mt940")

    response = upload(staff_client, MT940, format="auto")

    assert "already imported" in response.content.decode()
    assert BankStatement.objects.count() == 1 and BankTransaction.objects.count() == 6


def test_upload_recognises_an_abn_amro_file_and_imports_it(staff_client):
    data = {"file": SimpleUploadedFile("MT940.STA", BANK_LAYOUTS["abn-amro"]()), "format": "auto"}

    response = staff_client.post(reverse(IMPORT_URL), data, follow=True, **EN)

    assert "Created 4 lines" in response.content.decode()
    statement = BankStatement.objects.get()
    assert statement.format == "mt940" and statement.transactions.count() == 4


def test_upload_of_a_csv_with_profile_and_account(staff_client):
    upload(
        staff_client, CSV_DEBIT_CREDIT, format="csv", profile="tr-debit-credit", account_iban=CSV_DEBIT_CREDIT_ACCOUNT
    )

    assert BankStatement.objects.get().account_iban == CSV_DEBIT_CREDIT_ACCOUNT
    assert BankTransaction.objects.count() == 3


def test_upload_of_a_broken_file_shows_the_error_with_its_line_and_stores_nothing(staff_client):
    response = upload(staff_client, "mt940_truncated.sta", format="mt940")

    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="import-error"' in html
    assert "mt940_truncated.sta, line 22" in html and "truncated" in html
    assert BankStatement.objects.count() == 0 and BankTransaction.objects.count() == 0


def test_upload_form_needs_a_file_and_a_format(staff_client):
    response = staff_client.post(reverse(IMPORT_URL), {}, **EN)

    assert response.status_code == 200 and response.context["form"].errors.keys() == {"file", "format"}
    assert BankStatement.objects.count() == 0


def test_staff_without_the_permission_cannot_import(client):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_bankstatement"))
    client.force_login(user)

    changelist = client.get(reverse("admin:payments_bankstatement_changelist"), **EN).content.decode()
    response = client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile(MT940, sample(MT940)), "format": "mt940"})

    assert reverse(IMPORT_URL) not in changelist
    assert response.status_code == 403 and BankStatement.objects.count() == 0


def test_staff_add_a_csv_profile_and_import_with_it(staff_client):
    settings = (
        '{"encoding": "utf-8-sig", "columns": {"booking_date": "İşlem Tarihi", "debit": "Borç", '
        '"credit": "Alacak", "description": "Açıklama", "balance": "Bakiye"}}'
    )
    response = staff_client.post(
        reverse("admin:payments_bankcsvprofile_add"), {"name": "my-bank", "settings": settings}, **EN
    )
    assert response.status_code == 302

    upload(staff_client, CSV_DEBIT_CREDIT, format="csv", profile="my-bank", account_iban=CSV_DEBIT_CREDIT_ACCOUNT)

    assert BankTransaction.objects.count() == 3


def test_a_csv_profile_with_bad_settings_is_not_saved(staff_client):
    response = staff_client.post(
        reverse("admin:payments_bankcsvprofile_add"),
        {"name": "broken", "settings": '{"columns": {"amount": "Tutar"}}'},
        **EN,
    )

    assert response.status_code == 200 and "booking_date" in response.content.decode()
    assert not BankCsvProfile.objects.exists()


def test_command_imports_and_prints_the_result(capsys):
    call_command("bank_statement_import", str(DATA / MT940), "--format", "mt940")
    call_command("bank_statement_import", str(DATA / MT940), "--format", "auto")

    out = capsys.readouterr().out
    assert "Created 6 lines" in out and "already imported" in out
    assert BankStatement.objects.count() == 1 and BankTransaction.objects.count() == 6


def test_command_csv_with_profile_and_account():
    call_command(
        "bank_statement_import",
        str(DATA / CSV_DEBIT_CREDIT),
        "--format=csv",
        "--profile=tr-debit-credit",
        f"--account-iban={CSV_DEBIT_CREDIT_ACCOUNT}",
    )

    assert BankTransaction.objects.count() == 3


def test_command_reports_the_error_with_its_line_and_stores_nothing():
    with pytest.raises(CommandError, match=r"camt053_billion_laughs.xml, line 2: DOCTYPE"):
        call_command("bank_statement_import", str(DATA / "camt053_billion_laughs.xml"), "--format", "camt053")
    with pytest.raises(CommandError, match="no such file"):
        call_command("bank_statement_import", str(DATA / "missing.sta"), "--format", "mt940")

    assert BankStatement.objects.count() == 0


def test_errors_are_translated_to_turkish():
    error = StatementError("x", file_name="a.sta", line=3)

    with translation.override("tr"):
        assert str(error) == "a.sta, satır 3: x"
