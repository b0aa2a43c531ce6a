"""Production refuses what only suits trying the portal out: the sandbox card provider (unless the site says it is a
demonstration, shown on every page), e-mail backends that send nothing; the admin asks for a second factor."""

import pytest
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse

from b2bportal.checks import check_production_email
from b2bportal.tests.test_settings import PRODUCTION_ENV, run_manage
from payments.checks import check_default_gateway, check_no_sandbox_in_production


def production_check(**env):
    return run_manage("check", "--deploy", "--fail-level", "WARNING", extra_env={**PRODUCTION_ENV, **env})


def test_production_without_a_real_card_provider_fails_its_checks():
    environ = {k: v for k, v in PRODUCTION_ENV.items() if k != "PAYMENT_DEFAULT_GATEWAY"}
    result = run_manage("check", extra_env=environ)
    assert result.returncode != 0
    assert "payments.E004" in result.stderr
    assert "PAYMENT_DEFAULT_GATEWAY 'sandbox'" in result.stderr


def test_production_refuses_the_console_and_memory_email_backends():
    for backend in ("console", "locmem"):
        result = production_check(EMAIL_BACKEND=f"django.core.mail.backends.{backend}.EmailBackend")
        assert result.returncode != 0
        assert "b2bportal.E013" in result.stderr


def test_a_demonstration_site_may_keep_the_sandbox():
    result = production_check(DEMO_SITE="1", PAYMENT_DEFAULT_GATEWAY="sandbox")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_turn_on_admin_two_factor_and_smtp_by_default():
    code = (
        "import django;django.setup();from django.conf import settings as s;"
        "print(s.B2B_ADMIN_REQUIRE_2FA, s.EMAIL_BACKEND, 'sandbox' in s.PAYMENT_GATEWAYS, s.B2B_PRODUCTION)"
    )
    result = run_manage("shell", "--no-imports", "-c", code, extra_env=PRODUCTION_ENV)
    assert result.stdout.split() == ["True", "django.core.mail.backends.smtp.EmailBackend", "False", "True"], (
        result.stderr
    )
    result = run_manage(
        "shell", "--no-imports", "-c", code, extra_env={**PRODUCTION_ENV, "ADMIN_REQUIRE_2FA": "0", "DEMO_SITE": "1"}
    )
    assert result.stdout.split()[0] == "False" and result.stdout.split()[2] == "True"


def test_sandbox_check_errors_in_production_and_not_on_a_demo_site(settings):
    settings.B2B_PRODUCTION = True
    settings.B2B_DEMO_SITE = False
    errors = check_no_sandbox_in_production()
    assert [error.id for error in errors] == ["payments.E005"]
    settings.B2B_DEMO_SITE = True
    assert check_no_sandbox_in_production() == []
    settings.B2B_PRODUCTION = False
    settings.B2B_DEMO_SITE = False
    assert check_no_sandbox_in_production() == []


def test_default_gateway_must_be_configured(settings):
    assert check_default_gateway() == []
    settings.PAYMENT_DEFAULT_GATEWAY = "nope"
    assert [error.id for error in check_default_gateway()] == ["payments.E004"]


def test_email_check_only_in_production(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert check_production_email() == []
    settings.B2B_PRODUCTION = True
    assert [error.id for error in check_production_email()] == ["b2bportal.E013"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert check_production_email() == []


def test_the_test_configuration_passes_every_check():
    assert [message for message in run_checks() if message.is_serious()] == []


@pytest.mark.django_db
def test_a_demonstration_site_says_so_on_every_page(dealer_client, settings, superuser):
    settings.B2B_DEMO_SITE = True
    assert 'data-testid="demo-banner"' in Client().get(reverse("accounts:login")).content.decode()
    assert 'data-testid="demo-banner"' in dealer_client.get(reverse("home")).content.decode()
    dealer_client.force_login(superuser)
    assert 'data-testid="demo-banner"' in dealer_client.get(reverse("admin:index")).content.decode()
    settings.B2B_DEMO_SITE = False
    assert 'data-testid="demo-banner"' not in dealer_client.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
def test_without_the_sandbox_its_pages_are_not_found(client, settings):
    settings.PAYMENT_GATEWAYS = {k: v for k, v in settings.PAYMENT_GATEWAYS.items() if k != "sandbox"}
    assert client.get("/payments/sandbox/anything/").status_code == 404
    assert client.post("/payments/return/sandbox/", {"x": "1"}).status_code == 404
