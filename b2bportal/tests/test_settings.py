"""Settings come from the environment; production mode passes ``check --deploy`` with no warnings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from b2bportal import env

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "".join(chr(ord("a") + (i * 7) % 26) for i in range(60)) + "-9Z!x"


def run_manage(*args, extra_env=None):
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environ.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "b2bportal.settings.production",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "portal.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/b2bportal",
    "PAYMENT_DEFAULT_GATEWAY": "iyzico",
    "FIELD_ENCRYPTION_KEYS": "field-key-" + "k7Qw2Zr9Lm4Tx8Vb1Nc6Hy3Jd5Fg0Sp",
}


def test_production_passes_check_deploy_with_no_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", extra_env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_warns_when_field_encryption_keys_come_from_secret_key():
    environ = {k: v for k, v in PRODUCTION_ENV.items() if k != "FIELD_ENCRYPTION_KEYS"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", extra_env=environ)
    assert result.returncode != 0 and "b2bportal.W001" in result.stderr
    assert run_manage("check", extra_env=environ).returncode == 0  # a warning: the portal still starts


def test_production_refuses_a_weak_secret_key():
    result = run_manage("check", extra_env={**PRODUCTION_ENV, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_missing_allowed_hosts():
    result = run_manage("check", extra_env={**PRODUCTION_ENV, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_development_defaults_fail_check_deploy():
    """The development defaults are not fit for production, and check --deploy says so."""
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        extra_env={"DJANGO_SETTINGS_MODULE": "b2bportal.settings.base", "DATABASE_URL": "sqlite:////tmp/x.sqlite3"},
    )
    assert result.returncode != 0


def test_default_database_is_a_sqlite_file_and_debug_is_off():
    code = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='b2bportal.settings.base';"
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['ENGINE'], settings.DEBUG, settings.Q_CLUSTER.get('orm'))"
    )
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "REDIS_URL"}}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["django.db.backends.sqlite3", "False", "default"]


def test_redis_url_switches_the_task_broker():
    code = (
        "import os;os.environ['DJANGO_SETTINGS_MODULE']='b2bportal.settings.base';"
        "from django.conf import settings;print(settings.Q_CLUSTER.get('redis'), 'orm' in settings.Q_CLUSTER)"
    )
    environ = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["redis://127.0.0.1:6379/0", "False"]


def test_postgres_url_uses_psycopg3(settings):
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    import psycopg

    assert psycopg.__version__.startswith("3.")


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("no", False), ("0", False), ("", False)])
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("B2B_TEST_FLAG", raw)
    assert env.env_bool("B2B_TEST_FLAG") is expected


def test_env_bool_refuses_garbage(monkeypatch):
    monkeypatch.setenv("B2B_TEST_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="B2B_TEST_FLAG"):
        env.env_bool("B2B_TEST_FLAG")


def test_env_int_refuses_garbage(monkeypatch):
    monkeypatch.setenv("B2B_TEST_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="B2B_TEST_INT"):
        env.env_int("B2B_TEST_INT", 1)


def test_env_list(monkeypatch):
    monkeypatch.setenv("B2B_TEST_LIST", "a.example.com, b.example.com,,")
    assert env.env_list("B2B_TEST_LIST") == ["a.example.com", "b.example.com"]
