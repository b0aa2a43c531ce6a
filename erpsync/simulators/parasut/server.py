"""A local Paraşüt API v4 for tests, benchmarks and demos. No Paraşüt account needed.

    with ParasutSimulator() as sim:
        token = requests.post(sim.token_url, data={"grant_type": "password", "client_id": sim.client_id,
                              "client_secret": sim.client_secret, "username": sim.username,
                              "password": sim.password, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"}).json()
        requests.get(sim.base_url + "products", headers={"Authorization": f"Bearer {token['access_token']}"})

What it promises, as Paraşüt's description (``spec``) and its authentication guide say:

- ``POST /oauth/token`` (form fields) with ``grant_type`` ``password`` (client_id, client_secret, username,
  password, redirect_uri) or ``refresh_token``: ``{access_token, token_type: "bearer", expires_in: 7200,
  refresh_token, created_at}``. Access tokens live ``token_lifetime`` seconds; a refresh token works once: using it
  revokes it and answers a new one (rotation). Refused grants answer 400/401 ``{"error": "invalid_grant",
  "error_description": …}`` as the Doorkeeper server behind it does.
- ``/v4/{company_id}/…`` with ``Authorization: Bearer``: products, ``/product/{id}/inventory_levels`` (singular
  ``product``), warehouses, contacts, sales offers (create, read, ``update_status``, delete), sales invoices (create
  with details inline, read, ``DELETE …/cancel``, ``POST …/payments``), account transactions, e-invoices,
  e-archives, webhooks, and ``GET /v4/me``. An expired or unknown token is 401 with JSON:API ``errors``.
- Lists: ``page[number]``, ``page[size]`` (default 15, at most 25 where the description says so), ``meta``
  (``current_page``, ``total_pages``, ``total_count``), ``sort`` (``-`` for descending), the documented
  ``filter[…]`` and ``include=``; ``included`` holds each related record once.
- Every query and body is checked against the description before it is applied, every answer after it is made
  (``spec``); a request it does not allow is answered 400 and recorded in ``violations``, and so is an answer of
  the simulator's own that breaks it (then the answer is a 500).
- Rate limit: at most ``rate_limit`` API requests (``/v4``) in any ``rate_window`` seconds per company; more is
  answered 429 with ``Retry-After`` and a plain-text body (the throttle's headers are not documented: a client
  must also cope without them). ``accepted`` keeps the time of every request let through, to measure a client.
- Webhooks: ``deliver(model, action, record)`` posts a form-encoded event to every URL registered for it, with a
  ``Signature`` header: hex SHA-256 of the event's ``data`` (its JSON text) followed by ``webhook_key``.

Not documented, so chosen here and listed in docs/parasut.md: ``filter[issue_date]`` matches one date exactly;
``filter[query]`` of offers searches the description, order number and contact name; a contact's ``balance`` is
positive when the customer owes.

Fault switches (``sim.faults``, as ``erpsync.simulators.sap_b1.faults``): latency, 5xx, 429, reset, drop_response
(apply, then lose the answer), refuse (an answer with a status and JSON:API error, e.g. a 422 validation error),
and ``expire_token`` (the caller's access token expires just before the request is checked).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import requests

from erpsync.simulators.http import Answer, LoopbackServer, SimulatorHandler, form_fields
from erpsync.simulators.parasut import spec
from erpsync.simulators.parasut.company import Company, ParasutError, Record, invalid
from erpsync.simulators.parasut.demo import seed_demo
from erpsync.simulators.sap_b1.faults import Faults, Stats

logger = logging.getLogger(__name__)

OOB = "urn:ietf:wg:oauth:2.0:oob"
DEFAULT_PAGE_SIZE = 15
# Resource type → the relationships its answers carry.
LINKS = {
    "products": ("inventory_levels", "category"),
    "warehouses": (),
    "inventory_levels": ("product", "warehouse"),
    "contacts": ("category",),
    "sales_invoices": ("contact", "details", "payments", "active_e_document"),
    "sales_offers": ("contact", "details", "sales_invoice"),
    "payments": ("payable", "transaction"),
    "transactions": ("debit_account", "payments"),
    "sales_invoice_details": ("product", "warehouse"),
    "sales_offer_details": ("product",),
    "e_invoices": ("invoice",),
    "e_archives": ("sales_invoice",),
    "accounts": (),
    "webhooks": (),
}
# Attributes each list sorts by (the description's "Available:" lists are checked by ``spec``).
NUMERIC_SORTS = {"id", "remaining", "remaining_in_trl", "net_total", "stock_count", "balance", "net_total_in_trl"}


class Response(Answer):
    default_content_type = "application/vnd.api+json; charset=utf-8"


class ParasutSimulator(LoopbackServer):
    """Paraşüt's API v4 for one company on ``127.0.0.1``.

    Arguments a test may change: ``company_id``; ``client_id``/``client_secret`` and ``username``/``password`` (what
    the token endpoint accepts); ``token_lifetime`` (seconds); ``rate_limit`` requests per ``rate_window``
    seconds (0: no limit); ``strict`` (check requests and answers against the description); ``webhook_key``;
    ``demo`` (load the demo company, ``demo.seed_demo``)."""

    def __init__(
        self,
        *,
        company_id: int = 115,
        client_id: str = "portal-client-id",
        client_secret: str = "portal-client-secret",  # noqa: S107 - the simulator's own test client
        username: str = "muhasebe@firma.example",
        password: str = "Gizli-Parola-1",  # noqa: S107 - the simulator's own test user
        token_lifetime: float = 7200,
        rate_limit: int = 10,
        rate_window: float = 10.0,
        strict: bool = True,
        webhook_key: str = "webhook-encryption-key",
        demo: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.company_id = company_id
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self.token_lifetime = token_lifetime
        self.rate_limit, self.rate_window = rate_limit, rate_window
        self.strict = strict
        self.webhook_key = webhook_key
        self.host, self.port = host, port
        self.company = Company(company_id)
        self.faults = Faults()
        self.stats = Stats()
        self.violations: list[str] = []
        self.accepted: list[float] = []  # monotonic time of every API request let through the rate limit
        self.throttled = 0
        self._recent: deque[float] = deque()
        self._tokens: dict[str, float] = {}  # access token → monotonic expiry
        self._refresh_tokens: set[str] = set()
        self.token_grants: list[str] = []  # grant types answered with a token, in order
        self._auth_lock = threading.Lock()
        self._rate_lock = threading.Lock()
        self._server_init()
        if demo:
            seed_demo(self.company)

    # -- lifecycle ------------------------------------------------------------------------------------------------

    thread_name = "parasut-simulator"

    def handler_class(self) -> type[SimulatorHandler]:
        return _Handler

    @property
    def base_url(self) -> str:
        """The company's API root, ``…/v4/{company_id}/``."""
        return f"{self.root_url}v4/{self.company_id}/"

    @property
    def token_url(self) -> str:
        return f"{self.root_url}oauth/token"

    # -- tokens -----------------------------------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now (refresh tokens stay valid)."""
        with self._auth_lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def refresh_tokens(self) -> set[str]:
        with self._auth_lock:
            return set(self._refresh_tokens)

    def _issue(self, grant: str) -> dict[str, Any]:
        access, refresh = secrets.token_hex(32), secrets.token_hex(32)
        self._tokens[access] = time.monotonic() + self.token_lifetime
        self._refresh_tokens.add(refresh)
        self.token_grants.append(grant)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.token_lifetime),
            "refresh_token": refresh,
            "created_at": int(time.time()),
        }

    def _token(self, form: dict[str, str]) -> Response:
        def refused(error: str, description: str, status: int = 400) -> Response:
            return Response(
                status,
                {"error": error, "error_description": description},
                content_type="application/json; charset=utf-8",
            )

        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return refused(
                "invalid_client",
                "Client authentication failed due to unknown client, no client "
                "authentication included, or unsupported authentication method.",
                401,
            )
        grant = form.get("grant_type")
        with self._auth_lock:
            if grant == "password":
                if form.get("redirect_uri") != OOB:
                    return refused("invalid_request", "The redirect uri included is not valid.")
                if form.get("username") != self.username or form.get("password") != self.password:
                    return refused(
                        "invalid_grant",
                        "The provided authorization grant is invalid, expired, revoked, "
                        "does not match the redirection URI used in the authorization request, or was "
                        "issued to another client.",
                    )
                return Response(200, self._issue(grant), content_type="application/json; charset=utf-8")
            if grant == "refresh_token":
                token = form.get("refresh_token", "")
                if token not in self._refresh_tokens:
                    return refused(
                        "invalid_grant",
                        "The provided authorization grant is invalid, expired, revoked, "
                        "does not match the redirection URI used in the authorization request, or was "
                        "issued to another client.",
                    )
                self._refresh_tokens.discard(token)
                return Response(200, self._issue(grant), content_type="application/json; charset=utf-8")
        return refused(
            "unsupported_grant_type", "The authorization grant type is not supported by the authorization server."
        )

    def _authorise(self, header: str) -> None:
        scheme, _, token = header.partition(" ")
        with self._auth_lock:
            expiry = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if expiry is None:
            raise ParasutError(
                401,
                "Unauthorized",
                "The access token is invalid",
                {"WWW-Authenticate": 'Bearer realm="Doorkeeper", error="invalid_token"'},
            )
        if expiry <= time.monotonic():
            raise ParasutError(
                401,
                "Unauthorized",
                "The access token expired",
                {
                    "WWW-Authenticate": 'Bearer realm="Doorkeeper", error="invalid_token", '
                    'error_description="The access token expired"'
                },
            )

    # -- the rate limit ---------------------------------------------------------------------------------------------

    def _admit(self) -> float | None:
        """Let the request through (None) or say how many seconds until one more fits the window."""
        if not self.rate_limit:
            with self._rate_lock:
                self.accepted.append(time.monotonic())
            return None
        with self._rate_lock:
            now = time.monotonic()
            while self._recent and self._recent[0] <= now - self.rate_window:
                self._recent.popleft()
            if len(self._recent) >= self.rate_limit:
                self.throttled += 1
                return self._recent[0] + self.rate_window - now
            self._recent.append(now)
            self.accepted.append(now)
            return None

    def most_in_window(self) -> int:
        """The most requests the simulator let through in any ``rate_window`` seconds."""
        with self._rate_lock:
            times = sorted(self.accepted)
        most, start = 0, 0
        for end, moment in enumerate(times):
            while times[start] <= moment - self.rate_window:
                start += 1
            most = max(most, end - start + 1)
        return most

    # -- webhooks ---------------------------------------------------------------------------------------------------

    def signature(self, data: str) -> str:
        return hashlib.sha256((data + self.webhook_key).encode()).hexdigest()

    def event(self, model: str, action: str, record: Record) -> dict[str, str]:
        """The form fields of a webhook delivery about ``record`` (``data[data]`` is the record's JSON text)."""
        with self.company.lock:
            resource = {"data": self.company.resource(record, relationships=LINKS.get(record.type, ()))}
        text = json.dumps(resource, ensure_ascii=False)
        return {
            "company_id": str(self.company_id),
            "resource": model,
            "action": action,
            "event_date": self.company.stamp(),
            "data[id]": str(record.id),
            "data[company_id]": str(self.company_id),
            "data[created_at]": record.attributes.get("created_at") or "",
            "data[updated_at]": record.attributes.get("updated_at") or "",
            "data[data]": text,
        }

    def deliver(
        self,
        model: str,
        action: str,
        record: Record,
        *,
        signature: str | None = None,
        post: Callable[..., Any] = requests.post,
    ) -> list[Any]:
        """Post the event to every webhook registered for ``model``/``action``; ``signature`` overrides the real
        one (a forged delivery). ``post`` is the HTTP client (a test client in tests)."""
        fields = self.event(model, action, record)
        header = signature if signature is not None else self.signature(fields["data[data]"])
        with self.company.lock:
            hooks = [
                hook.attributes["uri"]
                for hook in self.company.tables["webhooks"].values()
                if hook.attributes["model"] == model and hook.attributes["action"] == action
            ]
        return [
            post(
                uri,
                data=urlencode(fields),
                headers={"Content-Type": "application/x-www-form-urlencoded", "Signature": header},
            )
            for uri in hooks
        ]

    # -- the API ----------------------------------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, re.Pattern[str], str, Callable[..., Response]]]:
        c = rf"/{self.company_id}"
        table = [
            ("GET", r"/me", "/me", self._me),
            ("GET", c + r"/products", "/{company_id}/products", self._list_of("products")),
            ("GET", c + r"/products/(\d+)", "/{company_id}/products/{id}", self._show("products")),
            (
                "GET",
                c + r"/product/(\d+)/inventory_levels",
                "/{company_id}/product/{product_id}/inventory_levels",
                self._levels,
            ),
            ("GET", c + r"/warehouses", "/{company_id}/warehouses", self._list_of("warehouses")),
            ("GET", c + r"/contacts", "/{company_id}/contacts", self._list_of("contacts")),
            ("GET", c + r"/contacts/(\d+)", "/{company_id}/contacts/{id}", self._show("contacts")),
            ("GET", c + r"/sales_invoices", "/{company_id}/sales_invoices", self._list_of("sales_invoices")),
            ("POST", c + r"/sales_invoices", "/{company_id}/sales_invoices", self._create_invoice),
            ("GET", c + r"/sales_invoices/(\d+)", "/{company_id}/sales_invoices/{id}", self._show("sales_invoices")),
            (
                "DELETE",
                c + r"/sales_invoices/(\d+)/cancel",
                "/{company_id}/sales_invoices/{id}/cancel",
                self._cancel_invoice,
            ),
            ("POST", c + r"/sales_invoices/(\d+)/payments", "/{company_id}/sales_invoices/{id}/payments", self._pay),
            ("GET", c + r"/sales_offers", "/{company_id}/sales_offers", self._list_of("sales_offers")),
            ("POST", c + r"/sales_offers", "/{company_id}/sales_offers", self._create_offer),
            ("GET", c + r"/sales_offers/(\d+)", "/{company_id}/sales_offers/{id}", self._show("sales_offers")),
            ("DELETE", c + r"/sales_offers/(\d+)", "/{company_id}/sales_offers/{id}", self._delete_offer),
            (
                "PATCH",
                c + r"/sales_offers/(\d+)/update_status",
                "/{company_id}/sales_offers/{id}/update_status",
                self._offer_status,
            ),
            (
                "GET",
                c + r"/accounts/(\d+)/transactions",
                "/{company_id}/accounts/{id}/transactions",
                self._transactions,
            ),
            ("GET", c + r"/e_invoices/(\d+)", "/{company_id}/e_invoices/{id}", self._show("e_invoices")),
            ("GET", c + r"/e_archives/(\d+)", "/{company_id}/e_archives/{id}", self._show("e_archives")),
            ("GET", c + r"/webhooks", "/{company_id}/webhooks", self._list_of("webhooks")),
            ("POST", c + r"/webhooks", "/{company_id}/webhooks", self._create_webhook),
        ]
        return [(method, re.compile(pattern + "$"), template, handler) for method, pattern, template, handler in table]

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Response:
        """Answer one authorised API request (``path`` below ``/v4``)."""
        allowed = False
        for route_method, pattern, template, handler in self.routes():
            match = pattern.match(path)
            if not match:
                continue
            allowed = True
            if route_method != method:
                continue
            if self.strict:
                self._check_request(template, method, query, body)
            with self.company.lock:
                response = handler(query, body, *match.groups())
            if self.strict and response.status < 300:
                self._check_answer(template, method, response)
            return response
        if allowed:
            raise ParasutError(405, "Method Not Allowed", f"{method} {path}")
        raise ParasutError(404, "Not Found", f"No route matches {path}")

    def _check_request(self, template: str, method: str, query: dict[str, str], body: Any) -> None:
        try:
            spec.check_query(template, method, query)
            if method in ("POST", "PUT", "PATCH"):
                spec.check(spec.body_schema(template, method), body, request=True, path="body")
        except spec.SpecError as exc:
            self.violations.append(f"request {method} {template}: {exc}")
            raise ParasutError(400, "Bad Request", str(exc)) from None

    def _check_answer(self, template: str, method: str, response: Response) -> None:
        try:
            schema = spec.response_schema(template, method, response.status)
            if schema is not None and response.body is not None:
                spec.check(schema, response.body, request=False, path="answer")
        except spec.SpecError as exc:
            self.violations.append(f"answer {method} {template}: {exc}")
            raise ParasutError(
                500, "Internal Server Error", f"simulator answer breaks the description: {exc}"
            ) from None

    # -- rendering helpers ------------------------------------------------------------------------------------------

    def _document(
        self, records: list[Record], include: str | None, *, many: bool, meta: dict[str, int] | None = None
    ) -> dict[str, Any]:
        company = self.company
        data = [company.resource(record, relationships=LINKS.get(record.type, ())) for record in records]
        body: dict[str, Any] = {"data": data if many else data[0]}
        if include:
            seen: dict[tuple[str, int], dict[str, Any]] = {}
            for path in include.split(","):
                for record in records:
                    for found in company.related(record, path.strip()):
                        seen.setdefault(
                            (found.type, found.id),
                            company.resource(found, relationships=LINKS.get(found.type, ())),
                        )
            body["included"] = list(seen.values())
        if meta is not None:
            body["meta"] = meta
        return body

    def _page(self, records: list[Record], query: dict[str, str]) -> tuple[list[Record], dict[str, int]]:
        size = int(query.get("page[size]") or DEFAULT_PAGE_SIZE)
        number = max(1, int(query.get("page[number]") or 1))
        total = len(records)
        pages = max(1, math.ceil(total / size)) if total else 0
        chosen = records[(number - 1) * size : number * size]
        return chosen, {"current_page": number, "total_pages": pages, "total_count": total}

    @staticmethod
    def _sorted(records: list[Record], sort: str | None) -> list[Record]:
        for key in reversed((sort or "id").split(",")):
            name, descending = key.strip().lstrip("-"), key.strip().startswith("-")

            def value(record: Record, name: str = name) -> Any:
                raw = record.id if name == "id" else record.attributes.get(name)
                if name in NUMERIC_SORTS:
                    return float(raw or 0)
                return "" if raw is None else str(raw)

            records = sorted(records, key=value, reverse=descending)
        return records

    def _filter(self, type_: str, records: list[Record], query: dict[str, str]) -> list[Record]:
        for key, wanted in query.items():
            if not key.startswith("filter["):
                continue
            name = key[len("filter[") : -1]
            records = [record for record in records if self._matches(type_, record, name, wanted)]
        if type_ == "sales_invoices" and "filter[item_type]" not in query:
            # The description: the default is "invoice, refund, estimate" (cancelled and recurring are left out).
            records = [r for r in records if r.attributes.get("item_type") in ("invoice", "refund", "estimate")]
        return records

    def _matches(self, type_: str, record: Record, name: str, wanted: str) -> bool:
        a = record.attributes
        if name == "contact_id":
            return str(record.relationships.get("contact", (None, None))[1]) == wanted
        if name == "item_type":
            return a.get("item_type") in {part.strip() for part in wanted.split(",")}
        if name == "payment_status":
            return {"not_due": "unpaid", "unscheduled": "unpaid"}.get(wanted, wanted) == a.get("payment_status")
        if name == "query":
            contact = self.company.tables["contacts"].get(record.relationships.get("contact", (None, 0))[1])
            texts = [a.get("description"), a.get("order_no"), contact and contact.attributes.get("name")]
            return any(wanted.casefold() in (text or "").casefold() for text in texts)
        if name in ("archived", "has_stock"):
            flag = wanted == "true"
            return (
                bool(a.get("archived")) == flag
                if name == "archived"
                else (float(a.get("stock_count") or 0) > 0) == flag
            )
        if name in ("name",):
            return wanted.casefold() in (a.get("name") or "").casefold()
        value = a.get(name)
        return value is not None and str(value) == wanted

    # -- handlers ---------------------------------------------------------------------------------------------------

    def _me(self, query: dict[str, str], body: Any) -> Response:
        return Response(
            200,
            {
                "data": {
                    "id": "1",
                    "type": "users",
                    "attributes": {"name": "Muhasebe", "email": self.username, "is_confirmed": True},
                }
            },
        )

    def _list_of(self, type_: str) -> Callable[..., Response]:
        def handler(query: dict[str, str], body: Any) -> Response:
            records = self._filter(type_, list(self.company.tables[type_].values()), query)
            records = self._sorted(records, query.get("sort"))
            chosen, meta = self._page(records, query)
            return Response(200, self._document(chosen, query.get("include"), many=True, meta=meta))

        return handler

    def _show(self, type_: str) -> Callable[..., Response]:
        def handler(query: dict[str, str], body: Any, key: str) -> Response:
            record = self.company.get(type_, key)
            return Response(200, self._document([record], query.get("include"), many=False))

        return handler

    def _levels(self, query: dict[str, str], body: Any, product_id: str) -> Response:
        product = self.company.get("products", product_id, "Product")
        records = [
            level
            for level in self.company.tables["inventory_levels"].values()
            if level.relationships["product"][1] == product.id
        ]
        records = self._sorted(self._filter("inventory_levels", records, query), query.get("sort"))
        chosen, meta = self._page(records, query)
        return Response(200, self._document(chosen, query.get("include"), many=True, meta=meta))

    def _transactions(self, query: dict[str, str], body: Any, account_id: str) -> Response:
        account = self.company.get("accounts", account_id, "Account")
        records = [
            row
            for row in self.company.tables["transactions"].values()
            if row.relationships.get("debit_account", (None, 0))[1] == account.id
        ]
        if "filter[date]" in query:
            records = [row for row in records if row.attributes.get("date") == query["filter[date]"]]
        records = self._sorted(records, query.get("sort"))
        chosen, meta = self._page(records, query)
        return Response(200, self._document(chosen, query.get("include"), many=True, meta=meta))

    def _data(self, body: Any, type_: str) -> dict[str, Any]:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != type_:
            raise ParasutError(400, "Bad Request", f"data of type {type_} expected")
        return data

    def _create_invoice(self, query: dict[str, str], body: Any) -> Response:
        invoice = self.company.create_invoice(self._data(body, "sales_invoices"))
        return Response(201, self._document([invoice], query.get("include"), many=False))

    def _cancel_invoice(self, query: dict[str, str], body: Any, key: str) -> Response:
        invoice = self.company.cancel_invoice(self.company.get("sales_invoices", key, "SalesInvoice"))
        return Response(200, self._document([invoice], query.get("include"), many=False))

    def _pay(self, query: dict[str, str], body: Any, key: str) -> Response:
        invoice = self.company.get("sales_invoices", key, "SalesInvoice")
        payment = self.company.pay_invoice(invoice, self._data(body, "payments").get("attributes") or {})
        return Response(201, self._document([payment], query.get("include"), many=False))

    def _create_offer(self, query: dict[str, str], body: Any) -> Response:
        offer = self.company.create_offer(self._data(body, "sales_offers"))
        return Response(201, self._document([offer], query.get("include"), many=False))

    def _delete_offer(self, query: dict[str, str], body: Any, key: str) -> Response:
        offer = self.company.get("sales_offers", key, "SalesOffer")
        if offer.relationships.get("sales_invoice"):
            raise invalid("Faturaya dönüştürülmüş teklif silinemez")
        del self.company.tables["sales_offers"][offer.id]
        return Response(204)

    def _offer_status(self, query: dict[str, str], body: Any, key: str) -> Response:
        offer = self.company.get("sales_offers", key, "SalesOffer")
        status = (self._data(body, "sales_offers").get("attributes") or {}).get("status")
        self.company.offer_status(offer, status)
        return Response(200, {"data": self.company.resource(offer)})  # the description links only activities here

    def _create_webhook(self, query: dict[str, str], body: Any) -> Response:
        attributes = self._data(body, "webhook").get("attributes") or {}
        hook = self.company.add("webhooks", {**attributes, "company_id": self.company_id})
        hook.type = "webhook"
        self.company.tables["webhooks"][hook.id] = hook
        return Response(201, {"data": self.company.resource(hook)})


class _Handler(SimulatorHandler):
    server_version = "nginx"
    logger = logger
    error_page = (
        "<html><head><title>{status}</title></head><body><center><h1>"
        "{status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
    )

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        raw = self._body()
        relative = path[len("/v4") :] if path.startswith("/v4/") else path
        self._serve_faulted(method, relative, lambda kinds: self._answer(method, path, split.query, raw, kinds))

    def _throttled(self, fault: Any) -> Response:
        return Response(429, "Retry later\n", {"Retry-After": str(fault.retry_after)}, content_type="text/plain")

    def _refused(self, fault: Any) -> Response:
        error = ParasutError(fault.status, fault.message or "Validation Failed", fault.body or "")
        return Response(fault.status, error.body())

    def _answer(self, method: str, path: str, query_text: str, raw: bytes, kinds: dict[str, Any]) -> Response:
        sim = self.simulator
        if path == "/oauth/token":
            if method != "POST":
                return Response(405, {"error": "invalid_request"}, content_type="application/json")
            return sim._token(form_fields(raw))
        if not path.startswith("/v4/"):
            return Response(404, ParasutError(404, "Not Found", path).body())
        wait = sim._admit()
        if wait is not None:
            return Response(
                429, "Retry later\n", {"Retry-After": str(max(1, math.ceil(wait)))}, content_type="text/plain"
            )
        try:
            if "expire_token" in kinds:
                sim.expire_tokens()
            sim._authorise(self.headers.get("Authorization", ""))
            body = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise ParasutError(400, "Bad Request", "The body is not JSON") from None
            query = dict(parse_qsl(query_text, keep_blank_values=True))
            return sim.handle(method, path[len("/v4") :], query, body)
        except ParasutError as exc:
            return Response(exc.status, exc.body(), exc.headers)
        except Exception:
            logger.exception("Paraşüt simulator failed on %s %s", method, self.path)
            return Response(500, ParasutError(500, "Internal Server Error", "").body())


__all__ = ["ParasutSimulator"]
