import pytest
from django.core.management import call_command
from django.test import override_settings

from b2bportal.checks import check_q_cluster

GOOD = {"name": "t", "timeout": 60, "retry": 90, "max_attempts": 3, "orm": "default"}


def ids(errors):
    return sorted(e.id for e in errors)


def test_configured_cluster_passes():
    assert check_q_cluster() == []


def test_valid_explicit_configuration_passes():
    with override_settings(Q_CLUSTER=GOOD):
        assert check_q_cluster() == []


@pytest.mark.parametrize("retry", [60, 30])
def test_retry_not_above_timeout_is_refused(retry):
    with override_settings(Q_CLUSTER={**GOOD, "retry": retry}):
        assert ids(check_q_cluster()) == ["b2bportal.E006"]


def test_unlimited_attempts_are_refused():
    with override_settings(Q_CLUSTER={**GOOD, "max_attempts": 0}):
        assert ids(check_q_cluster()) == ["b2bportal.E005"]


@pytest.mark.parametrize("key", ["timeout", "retry", "max_attempts"])
def test_missing_key_is_refused(key):
    conf = {k: v for k, v in GOOD.items() if k != key}
    with override_settings(Q_CLUSTER=conf):
        assert ids(check_q_cluster()) == ["b2bportal.E002"]


def test_non_integer_timeout_is_refused():
    with override_settings(Q_CLUSTER={**GOOD, "timeout": "60"}):
        assert "b2bportal.E003" in ids(check_q_cluster())


def test_missing_broker_is_refused():
    conf = {k: v for k, v in GOOD.items() if k != "orm"}
    with override_settings(Q_CLUSTER=conf):
        assert ids(check_q_cluster()) == ["b2bportal.E007"]


def test_manage_check_fails_on_a_bad_cluster():
    """The check runs at startup: ``manage.py check`` refuses the configuration."""
    from django.core.management.base import SystemCheckError

    with override_settings(Q_CLUSTER={**GOOD, "retry": 10}), pytest.raises(SystemCheckError, match="E006"):
        call_command("check")
