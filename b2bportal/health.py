"""``/healthz``: may a load balancer send this web process requests? Answered by ``HealthCheckMiddleware``, first
in ``MIDDLEWARE``, before the host check, the HTTPS redirect, sessions and sign-in: a probe needs no account, may use
the node's own address and plain HTTP, and is never throttled by the sign-in lock-out.

Three checks, each ``ok`` or ``fail``:

- ``database``: a ``SELECT 1`` on the default database;
- ``broker``: a Redis ``PING`` (when ``REDIS_URL`` is set; without it the database is the broker and the check is
  left out);
- ``worker``: the latest run of the heartbeat schedule (``b2bportal.tasks.worker_heartbeat``, every minute) is at
  most ``HEALTH_HEARTBEAT_MAX_SECONDS`` old — so the scheduler queues, the broker delivers and a worker runs tasks.

200 when every check is ``ok``, else 503. The JSON says only which check failed and the heartbeat's age in seconds:
no versions, host names, addresses or error texts (those go to the log).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from b2bportal.models import WorkerHeartbeat

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
OK, FAIL = "ok", "fail"
# Seconds a probe waits for Redis: a load balancer's own timeout is a few seconds.
BROKER_TIMEOUT = 2.0


def database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        log.warning("Health check: the database does not answer: %s", exc)
        connection.close_if_unusable_or_obsolete()
        return FAIL
    return OK


def broker_check(url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        log.warning("Health check: the Redis broker does not answer: %s", exc)
        return FAIL
    return OK


def last_heartbeat() -> datetime | None:
    return WorkerHeartbeat.objects.order_by("-ran_at").values_list("ran_at", flat=True).first()


def health() -> tuple[bool, dict]:
    """(healthy, the JSON body)."""
    checks = {"database": database_check()}
    if settings.REDIS_URL:
        checks["broker"] = broker_check(settings.REDIS_URL)
    age = None
    if checks["database"] == OK:
        try:
            beat = last_heartbeat()
        except Exception as exc:
            log.warning("Health check: the worker heartbeat cannot be read: %s", exc)
            beat = None
        if beat is not None:
            age = max(0, int((timezone.now() - beat).total_seconds()))
    checks["worker"] = OK if age is not None and age <= settings.B2B_HEALTH_HEARTBEAT_MAX_SECONDS else FAIL
    healthy = all(value == OK for value in checks.values())
    return healthy, {"status": OK if healthy else FAIL, "checks": checks, "heartbeat_age_seconds": age}


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != HEALTH_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"status": "method not allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
        else:
            healthy, body = health()
            response = JsonResponse(body, status=200 if healthy else 503)
        response["Cache-Control"] = "no-store"
        return response
