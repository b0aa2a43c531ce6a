"""``/healthz`` for load balancers: 200 when the database, the Redis broker and the worker heartbeat are all fine,
503 naming the one that is not; no sign-in, no host check, no HTTPS redirect, no sign-in throttle; nothing sensitive
in the answer. The failures are real: a database server that refuses connections, a Redis port nobody listens on."""

from __future__ import annotations

import json
import os
import socket
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from accounts.tests.factories import TEST_PASSWORD
from b2bportal.models import WorkerHeartbeat
from b2bportal.tasks import HEARTBEAT_FUNC, HEARTBEAT_SCHEDULE, worker_heartbeat
from dealers.tests.factories import DealerUserFactory

pytestmark = pytest.mark.django_db

REDIS_TEST_URL = "redis://127.0.0.1:6379/5"


def dead_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthz(client, **extra):
    response = client.get("/healthz", **extra)
    return response, json.loads(response.content)


def beat(seconds_ago: float = 0) -> WorkerHeartbeat:
    return WorkerHeartbeat.objects.create(ran_at=timezone.now() - timedelta(seconds=seconds_ago), worker="w:1")


def test_healthy_with_redis_answers_200_and_only_what_each_check_says(client, settings):
    settings.REDIS_URL = REDIS_TEST_URL
    beat(seconds_ago=5)
    response, body = healthz(client)
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok", "worker": "ok"}
    assert 5 <= body["heartbeat_age_seconds"] < 60
    assert set(body) == {"status", "checks", "heartbeat_age_seconds"}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    for secret in ("6379", "redis", "127.0.0.1", socket.gethostname(), "postgres", "w:1", "version"):
        assert secret not in text.lower(), secret


def test_without_redis_the_database_is_the_broker_and_the_check_is_left_out(client, settings):
    settings.REDIS_URL = ""
    beat()
    response, body = healthz(client)
    assert response.status_code == 200
    assert body["checks"] == {"database": "ok", "worker": "ok"}


def test_redis_not_answering_is_503_naming_the_broker(client, settings):
    port = dead_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    beat()
    response, body = healthz(client)
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"] == {"database": "ok", "broker": "fail", "worker": "ok"}
    assert str(port) not in response.content.decode()


def test_no_heartbeat_yet_is_503_naming_the_worker(client, settings):
    settings.REDIS_URL = ""
    response, body = healthz(client)
    assert response.status_code == 503
    assert body["checks"] == {"database": "ok", "worker": "fail"}
    assert body["heartbeat_age_seconds"] is None


def test_a_heartbeat_older_than_the_limit_is_503_with_its_age(client, settings):
    settings.REDIS_URL = ""
    settings.B2B_HEALTH_HEARTBEAT_MAX_SECONDS = 180
    beat(seconds_ago=400)
    response, body = healthz(client)
    assert response.status_code == 503
    assert body["checks"]["worker"] == "fail"
    assert 400 <= body["heartbeat_age_seconds"] < 460
    beat(seconds_ago=170)
    response, body = healthz(client)
    assert response.status_code == 200
    assert body["checks"]["worker"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_a_database_that_refuses_connections_is_503_naming_it(client, settings):
    settings.REDIS_URL = ""
    beat()
    connection.close()
    real_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = dead_port()
    try:
        response, body = healthz(client)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    assert response.status_code == 503
    assert body == {"status": "fail", "checks": {"database": "fail", "worker": "fail"}, "heartbeat_age_seconds": None}
    # Back once the server answers again.
    response, body = healthz(client)
    assert response.status_code == 200, body


def test_answers_without_sign_in_on_any_host_over_plain_http_in_production(client, settings):
    settings.REDIS_URL = ""
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    beat()
    # A probe on the node's own address over plain HTTP: no 400 for the host, no redirect to HTTPS.
    response, _ = healthz(client, HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    # Any other page on that host is still refused: the exemption is /healthz alone.
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.5:8000").status_code == 400
    assert client.get("/healthz/", HTTP_HOST="portal.example.com").status_code == 301


def test_is_not_throttled_by_the_sign_in_lock_out(client, settings):
    settings.REDIS_URL = ""
    beat()
    member = DealerUserFactory()
    ip = "203.0.113.9"
    for _ in range(25):
        client.post(reverse("accounts:login"), {"username": member.user.email, "password": "wrong"}, REMOTE_ADDR=ip)
    refused = client.post(
        reverse("accounts:login"), {"username": member.user.email, "password": TEST_PASSWORD}, REMOTE_ADDR=ip
    )
    assert refused.status_code == 429
    for _ in range(50):
        response, _ = healthz(client, REMOTE_ADDR=ip)
        assert response.status_code == 200


def test_only_get_and_head(client, settings):
    settings.REDIS_URL = ""
    beat()
    assert client.head("/healthz").status_code == 200
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_heartbeat_records_its_run_and_forgets_runs_older_than_a_day():
    old = beat(seconds_ago=2 * 24 * 3600)
    recent = beat(seconds_ago=3600)
    due = timezone.now().replace(microsecond=0)
    pk = worker_heartbeat(scheduled_for=due.isoformat())
    run = WorkerHeartbeat.objects.get(pk=pk)
    assert run.scheduled_for == due
    assert run.worker.endswith(f":{os.getpid()}")
    assert not WorkerHeartbeat.objects.filter(pk=old.pk).exists()
    assert WorkerHeartbeat.objects.filter(pk=recent.pk).exists()


def test_migrate_installs_the_heartbeat_schedule_every_minute_told_its_due_time():
    schedule = Schedule.objects.get(name=HEARTBEAT_SCHEDULE)
    assert schedule.func == HEARTBEAT_FUNC
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)
    assert schedule.intended_date_kwarg == "scheduled_for"
