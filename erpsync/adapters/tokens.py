"""The bearer tokens (or session ids) of the adapters that sign in, shared by every process through
``erpsync.token_store``: this process's token while it lasts, else the one another process stored, else a new one
(one process asks the ERP with the token row locked, the others take its answer); a token the ERP refused is renewed
at once; and the request that carries the token (``bearer_send``). Each adapter brings its own grant request and its
own words for a refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import requests

from erpsync.adapters.base import PermanentError, RetryableError
from erpsync.adapters.http import transport_error
from erpsync.token_store import NeedsAuthorisation, TokenPair, token_read, token_renew


def token_pair(
    key: str, held: TokenPair, renew: Callable[[TokenPair], tuple[str, str, int]], *, stale: bool = False
) -> TokenPair:
    """The pair to use for ``key``: ``held`` (this process's) while usable, else the stored one, else what ``renew``
    gets from the ERP (see ``token_renew``). ``stale``: the ERP refused the last token, so neither this process's
    nor the stored one will do unless another process renewed it since. A renewal that needs a person is a
    ``PermanentError`` coded ``needs_authorisation``."""
    if not stale and held.usable():
        return held
    stored = token_read(key)
    if not stale and stored.usable():
        return stored
    seen = max(stored.version, held.version) if not stale else held.version
    try:
        return token_renew(key, seen_version=seen, renew=renew)
    except NeedsAuthorisation as exc:
        raise PermanentError(str(exc), code="needs_authorisation") from exc


def granted(
    answer: requests.Response, *, who: str, lifetime: int, refused: Callable[[Any], str]
) -> tuple[str, str, int]:
    """The access token of a token endpoint's answer, no refresh token, and its lifetime (``expires_in``, else
    ``lifetime``) in seconds. 5xx and 429: ``RetryableError``; any other answer without an access token:
    ``NeedsAuthorisation`` with ``refused(body)`` (the decoded body, or None)."""
    if answer.status_code >= 500 or answer.status_code == 429:
        raise RetryableError(f"{who} could not sign in now: {answer.status_code}")
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        raise NeedsAuthorisation(refused(body))
    return body["access_token"], "", int(body.get("expires_in") or lifetime)


def token_post(
    http: requests.Session,
    url: str,
    *,
    who: str,
    timeout: float,
    lifetime: int,
    refused: Callable[[Any, str], str],
    **request: Any,
) -> tuple[str, str, int]:
    """POST to a token endpoint (``request``: the form, basic auth…) and read its answer with ``granted``;
    ``refused(body, text)`` words a refusal. No answer: the transport's error (retryable)."""
    try:
        answer = http.post(url, timeout=timeout, **request)
    except requests.RequestException as exc:
        raise transport_error(exc, who=who, method="POST", where="token", write=False) from exc
    return granted(answer, who=who, lifetime=lifetime, refused=lambda body: refused(body, answer.text))


def bearer_send(
    http: requests.Session,
    method: str,
    url: str,
    *,
    token: str,
    body: Any,
    timeout: float,
    who: str,
    where: str,
    write: bool,
) -> requests.Response:
    """One request with the bearer ``token`` and ``body`` (if any) as UTF-8 JSON, Decimals as numbers; no answer is
    the contract's error (see ``transport_error``)."""
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False, default=_json_number).encode()
        headers["Content-Type"] = "application/json; charset=utf-8"
    try:
        return http.request(method, url, data=data, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise transport_error(exc, who=who, method=method, where=where, write=write) from exc


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
