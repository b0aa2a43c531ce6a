"""The DİA adapter's transport: the session (``login`` with the API key, shared by every process through
``erpsync.token_store`` and replaced once, under the token row's lock, when DİA says it expired), company and period
discovery, the calls and kontör counted per run and per day (``erpsync.api_usage``), DİA's envelope mapped to the
contract's errors, read retries and list pages.

Every call is ``POST {base_url}{module}/json`` with one top-level key, the service, whose object carries
``session_id``, ``firma_kodu`` and ``donem_kodu``. DİA answers ``{code, msg, result|key}`` — with HTTP 200 as far as
clients report, so the body's code decides; an HTTP error status with DİA's envelope in the body is read the same.

Errors: no answer to a write, or a gateway's 5xx page instead of DİA's envelope → ``OutcomeUnknownError``; HTTP 5xx
pages to reads, body 500/501 that are not a business text →
``RetryableError``; 401/419 about the session → a new session and the call once more (DİA refused it before looking
at it); 401 ``INSUFFICIENT_PRIVILEGES``, 400, 402, 405 and the business texts (``business_texts``) →
``PermanentError`` with DİA's text; 406 (no kontör left) → ``PermanentError`` telling staff to top up the credit.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import requests

from erpsync.adapters.base import ErpError, OutcomeUnknownError, PermanentError, RetryableError
from erpsync.adapters.http import transport_error
from erpsync.adapters.tokens import token_pair
from erpsync.api_usage import api_usage_add
from erpsync.token_store import NeedsAuthorisation, TokenPair, token_forget, token_read

logger = logging.getLogger(__name__)

SESSION_CODES = frozenset({"401", "419"})
FREE = frozenset({"login", "logout"})
NO_CREDIT = (
    "DİA refused the call for lack of kontör (credit, code 406): {msg}. Nothing was applied. Top up the company's "
    "kontör with DİA (the DİA dealer or satis@dia.com.tr), then retry the job."
)


def _rows(envelope: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A list answer's rows: ``result`` (DİA's documentation and sample), ``data`` on the tenants that send it."""
    rows = envelope.get("result")
    if rows is None:
        rows = envelope.get("data")
    return rows if isinstance(rows, list) else []


class DiaSession:
    """The transport half of ``DiaAdapter``: every call goes through ``_call``."""

    def _open_session(self) -> None:
        self._http = requests.Session()
        self._http.headers.update({"Accept": "application/json"})
        self._pair = TokenPair("", "", None, 0)
        self.calls_sent = 0
        self.credits_spent = Decimal(0)
        self.calls_by_service: dict[str, int] = {}
        self._company: tuple[int, int] | None = None
        self._discovered: list[dict[str, Any]] | None = None
        self._misses: dict[tuple[str, str], float] = {}  # (kind, reference) → when a look-up found nothing

    def close(self) -> None:
        """Leave the session open: other workers share it (``logout`` would end theirs too); DİA ends it after
        ``session_minutes`` idle. ``logout`` is for the session's last user (``logout``)."""
        self._http.close()

    def logout(self) -> None:
        """End the shared session in DİA and forget it (on shutdown, or when the credentials change); the next call
        logs in again."""
        stored = token_read(self.token_key)
        if stored.access_token:
            self._post("sis", {"logout": {"session_id": stored.access_token}}, write=False)
        token_forget(self.token_key)
        self._pair = TokenPair("", "", None, 0)

    @property
    def token_key(self) -> str:
        return f"dia:{self.base_url}:{self.login['username']}"

    @property
    def usage_key(self) -> str:
        """Kontör is the company's (its API key's): every connection and process calling it counts together."""
        return f"dia:{self.base_url}"

    def run_usage(self) -> dict[str, Any]:
        """What this adapter spent since it was made: the run's figures for its summary."""
        return {
            "calls": self.calls_sent,
            "credits": str(self.credits_spent),
            "services": dict(sorted(self.calls_by_service.items())),
        }

    # -- the session ------------------------------------------------------------------------------------------------

    def _new_session(self, current: TokenPair) -> tuple[str, str, int]:
        """Log in (called by ``token_renew`` with the token row locked: one process logs in, the others take its
        session)."""
        body = {
            "login": {
                "username": self.login["username"],
                "password": self.login["password"],
                "disconnect_same_user": "True" if self.disconnect_same_user else "False",
                "lang": "tr",
                "params": {"apikey": self.login["apikey"]},
            }
        }
        envelope = self._post("sis", body, write=False)
        code, msg = str(envelope.get("code") or ""), str(envelope.get("msg") or "")
        if code == "200" and msg:
            return msg, "", max(60, int(self.session_minutes * 60))
        if code in ("500", "501") or not code:
            raise RetryableError(f"DİA could not log in now: {code} {msg}".strip())
        raise NeedsAuthorisation(
            f"DİA refused to log in as {self.login['username']} ({code} {msg}): check the connection's user, "
            "password and API key (and the user's allowed IP addresses in DİA)."
        )

    def _session_id(self, *, stale: bool = False) -> str:
        self._pair = token_pair(self.token_key, self._pair, self._new_session, stale=stale)
        return self._pair.access_token

    def company(self) -> tuple[int, int]:
        """(firma_kodu, donem_kodu): the settings', else found with ``sis_yetkili_firma_donem_sube_depo``."""
        if self._company is None:
            firma, donem = self.firma_kodu, self.donem_kodu
            if not firma or not donem:
                companies = self.discovery()
                if firma:
                    companies = [c for c in companies if int(c.get("firmakodu") or 0) == firma]
                if len(companies) != 1:
                    found = ", ".join(f"{c.get('firmakodu')} {c.get('firmaadi') or ''}".strip() for c in companies)
                    raise PermanentError(
                        f"The DİA user may use companies {found or 'none'}: set firma_kodu to the portal's one."
                    )
                firma = int(companies[0]["firmakodu"])
                if not donem:
                    periods = companies[0].get("donemler") or []
                    default = [p for p in periods if str(p.get("ontanimli") or "").lower() in ("t", "true", "e")]
                    chosen = default or sorted(periods, key=lambda p: int(p.get("donemkodu") or 0))[-1:]
                    if not chosen:
                        raise PermanentError(f"DİA company {firma} has no period: set donem_kodu.")
                    donem = int(chosen[0]["donemkodu"])
            self._company = (firma, donem)
        return self._company

    def discovery(self) -> list[dict[str, Any]]:
        """The companies, periods, branches and depots the user may use (one call, remembered)."""
        if self._discovered is None:
            self._discovered = _rows(self._call("sis", "sis_yetkili_firma_donem_sube_depo", {}, company=False))
        return self._discovered

    # -- calls ------------------------------------------------------------------------------------------------------

    def _count(self, service: str) -> None:
        self.calls_sent += 1
        self.calls_by_service[service] = self.calls_by_service.get(service, 0) + 1
        cost = Decimal(0) if service in FREE else self.credit_per_call
        self.credits_spent += cost
        api_usage_add(self.usage_key, calls=1, credits=cost)

    def _post(self, module: str, body: dict[str, Any], *, write: bool) -> dict[str, Any]:
        """One POST; DİA's envelope (from any HTTP status that carries one), or the contract's error."""
        (service,) = body
        url = f"{self.base_url}{module}/json"
        data = json.dumps(body, ensure_ascii=False, default=_json_default).encode()
        self._count(service)
        try:
            response = self._http.post(
                url, data=data, headers={"Content-Type": "application/json"}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise transport_error(exc, who="DİA", method="POST", where=f"{module}/{service}", write=write) from exc
        try:
            envelope = response.json(parse_float=Decimal)
        except ValueError:
            envelope = None
        if isinstance(envelope, dict) and "code" in envelope:
            return envelope
        status = response.status_code
        text = (response.text or response.reason or "").strip()[:200]
        if write and status >= 500:  # a gateway's page: DİA behind it may have applied the write
            raise OutcomeUnknownError(
                f"DİA answered {status} to {service} without its envelope; it may have applied it"
            )
        if status >= 500 or status in (408, 429) or status == 200:
            raise RetryableError(f"DİA answered {status} to {service} without its envelope: {text}", code=str(status))
        raise PermanentError(f"DİA answered {status} to {service}: {text}", code=str(status))

    def _error(self, service: str, envelope: Mapping[str, Any]) -> ErpError:
        code, msg = str(envelope.get("code") or ""), str(envelope.get("msg") or "").strip()
        extra = "; ".join(str(e) for e in (envelope.get("errors") or []) if e)
        text = f"{msg} ({extra})" if extra else msg
        details = {"service": service, "code": code}
        if code == "406":
            return PermanentError(NO_CREDIT.format(msg=text or "CREDIT_ERROR"), code="406", details=details)
        if code in ("400", "402", "405") or code in SESSION_CODES:
            return PermanentError(f"DİA refused {service} ({code}): {text}", code=code, details=details)
        if any(part.casefold() in text.casefold() for part in self.business_texts):
            return PermanentError(f"DİA refused {service}: {text}", code=code, details=details)
        return RetryableError(f"DİA failed {service} ({code}): {text}", code=code, details=details)

    def _call(
        self, module: str, service: str, params: Mapping[str, Any], *, write: bool = False, company: bool = True
    ) -> dict[str, Any]:
        """One service call with the session (replaced once if DİA says it ended) and, for reads, retries."""
        attempts = 0
        stale = False
        while True:
            attempts += 1
            head: dict[str, Any] = {"session_id": self._session_id(stale=stale)}
            if company:
                firma, donem = self.company()
                head.update(firma_kodu=firma, donem_kodu=donem)
            try:
                envelope = self._post(module, {service: {**head, **params}}, write=write)
            except RetryableError as exc:
                if not write and attempts <= self.read_retries:
                    time.sleep(min(0.5 * attempts, 5.0))
                    continue
                raise exc
            code = str(envelope.get("code") or "")
            if code == "200":
                return envelope
            msg = str(envelope.get("msg") or "")
            if code in SESSION_CODES and "PRIVILEGE" not in msg.upper() and not stale:
                logger.info("DİA session ended (%s %s); logging in again", code, msg)
                stale = True  # refused before it was looked at: safe to send again, writes too
                continue
            error = self._error(service, envelope)
            if not write and isinstance(error, RetryableError) and attempts <= self.read_retries:
                time.sleep(min(0.5 * attempts, 5.0))
                continue
            raise error

    def _list(
        self,
        module: str,
        service: str,
        *,
        filters: list[dict[str, Any]] | None = None,
        sorts: list[dict[str, Any]] | None = None,
        columns: list[str] | None = None,
        params: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every row of a ``_listele`` service, page by page (``limit``/``offset``) until a short page. Sorted by
        ``_key`` unless told, so pages do not overlap; the first page is fetched at once, so an unreachable DİA
        fails the read rather than the feed."""
        size = limit or self.page_size
        extra = dict(params or {})
        if columns:
            extra["selectedcolumns"] = columns
        body = {
            "filters": filters or [],
            "sorts": sorts or [{"field": "_key", "sorttype": "ASC"}],
            "params": extra,
            "limit": size,
        }
        first = _rows(self._call(module, service, {**body, "offset": 0}))

        def rows() -> Iterator[dict[str, Any]]:
            page, offset = first, 0
            while True:
                yield from page
                if len(page) < size:
                    return
                offset += size
                page = _rows(self._call(module, service, {**body, "offset": offset}))

        return rows()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


__all__ = ["DiaSession"]
