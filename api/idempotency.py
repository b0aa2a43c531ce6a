"""``Idempotency-Key`` on every creating POST: the first request's response (status and body) is kept for
``B2B_API_IDEMPOTENCY_HOURS`` and replayed to a retry with the same key and body; the same key with another body
(or on another endpoint) is refused with 422 ``idempotency_key_reused``.

Concurrency: the key's row is inserted in the same transaction as the work. A duplicate sent meanwhile waits on
that row's unique index until the first commits, then finds it and replays its response — two requests with one
key make one order. A response of 500 or more is not kept (the transaction rolls back), so a retry runs again.
A view that commits its work in steps (``idempotent_in_steps``) commits the key first and answers a duplicate sent
meanwhile with 409 instead.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from api.models import ApiKey, IdempotencyRecord
from api.problems import Problem

HEADER = "Idempotency-Key"
ORDER_KEYS = uuid.UUID("5d0f8e56-4b8a-4a53-9c1c-7f6a2f8e4b10")
MAX_KEY_LENGTH = 255
# A key whose first request has not answered after this long is taken to be abandoned (``idempotent_in_steps``).
IN_USE_MINUTES = 10


def owner_of(request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}"
    return f"user:{request.user.pk}"


def request_digest(request) -> str:
    """The request as compared between retries: method, path and the parsed body (key order and white space do
    not matter)."""
    body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_digest != digest:
        raise Problem(
            422,
            "idempotency_key_reused",
            _("This Idempotency-Key was used with another request; use a new key for a new request."),
        )
    response = Response(json.loads(record.body) if record.body else None, status=record.status_code)
    if record.content_type:
        response.content_type = record.content_type
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def order_key(request) -> uuid.UUID:
    """The placement key of the order a request under an Idempotency-Key makes: one per kept record, so a retry
    can never place a second order, and a key used again after its hours makes a new one."""
    return uuid.uuid5(ORDER_KEYS, f"idempotency-record:{request.idempotency_record.pk}")


def _record_new(owner: str, key: str, request, digest: str) -> IdempotencyRecord:
    with transaction.atomic():
        return IdempotencyRecord.objects.create(
            owner=owner, key=key, method=request.method, path=request.path[:255], request_digest=digest
        )


def _key_checked(request) -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise Problem(400, "idempotency_key_missing", _("Send an Idempotency-Key header with this request."))
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(400, "invalid", _("The Idempotency-Key is longer than %(max)s characters.") % {"max": 255})
    return key


def _cutoff():
    return timezone.now() - timedelta(hours=settings.B2B_API_IDEMPOTENCY_HOURS)


def _keep(record: IdempotencyRecord, response) -> None:
    record.status_code = response.status_code
    record.body = json.dumps(response.data, cls=JSONEncoder)
    record.content_type = response.content_type or ""
    record.headers = {name: response[name] for name in ("Location",) if response.has_header(name)}
    record.save(update_fields=["status_code", "body", "content_type", "headers"])


def idempotent(method):
    """Wrap a view's ``post``: requires the header and replays or refuses as the module says. The view's errors
    (refusals as problem documents) are kept like its successes."""

    @wraps(method)
    def wrapper(view, request, *args, **kwargs):
        key = _key_checked(request)
        owner, digest = owner_of(request), request_digest(request)
        with transaction.atomic():
            try:
                record = _record_new(owner, key, request, digest)
            except IntegrityError:
                # Taken: by an earlier request, or by a concurrent one this insert waited for until it committed.
                taken = IdempotencyRecord.objects.get(owner=owner, key=key)
                if taken.created_at >= _cutoff():
                    return _replay(taken, digest)
                # Older than its hours and not yet purged: the key is free again.
                IdempotencyRecord.objects.filter(pk=taken.pk).delete()
                record = _record_new(owner, key, request, digest)
            # The view may name what it creates after the record (one record, one order: ``order_key``).
            request.idempotency_record = record
            try:
                with transaction.atomic():
                    response = method(view, request, *args, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            _keep(record, response)
        return response

    return wrapper


def idempotent_in_steps(method):
    """``idempotent`` for a view whose work commits in several transactions of its own (an EDI interchange: one
    per message, so placement's locks are held for one order at a time). The key's row is committed first, without
    a response; a duplicate arriving while the first runs is answered 409 ``idempotency_key_in_use`` with
    Retry-After instead of waiting on it. When the first ends, its response is kept as ``idempotent`` keeps it (a
    5xx frees the key). A row left without a response for ``IN_USE_MINUTES`` (its process stopped) frees the key:
    the view's own duplicate check (the interchange reference) keeps a second run from doing anything twice."""

    @wraps(method)
    def wrapper(view, request, *args, **kwargs):
        key = _key_checked(request)
        owner, digest = owner_of(request), request_digest(request)
        try:
            record = _record_new(owner, key, request, digest)
        except IntegrityError:
            taken = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
            abandoned = timezone.now() - timedelta(minutes=IN_USE_MINUTES)
            if taken is not None and taken.status_code is not None and taken.created_at >= _cutoff():
                return _replay(taken, digest)
            if taken is not None and taken.status_code is None and taken.created_at >= abandoned:
                if taken.request_digest != digest:
                    return _replay(taken, digest)  # refused: the key belongs to another request
                raise Problem(
                    409,
                    "idempotency_key_in_use",
                    _("A request with this Idempotency-Key is still running; send it again in a moment."),
                ) from None
            IdempotencyRecord.objects.filter(owner=owner, key=key).delete()
            record = _record_new(owner, key, request, digest)
        request.idempotency_record = record
        try:
            try:
                response = method(view, request, *args, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)
        except Exception:
            # Not answered (a server error): the key is free for the retry.
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        _keep(record, response)
        return response

    return wrapper
