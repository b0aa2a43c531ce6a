"""A signed-in dealer driving a running portal over HTTP, the way a browser posts its forms: sign in, browse and
search the catalogue, open a product, add to the cart, check out and place the order. Used by the production profile
test (``demo/tests/test_profile.py``) and the load benchmark (``bench/load.py``); standard library only.

Behind the TLS proxy of the profile every request carries ``X-Forwarded-Proto: https``; the client keeps the
cookies itself (they are ``Secure``, sent here over plain HTTP on loopback) and sends ``Origin`` as a browser does,
so CSRF protection is the real one."""

from __future__ import annotations

import http.client
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

ORDER_URL = re.compile(r"^/orders/(P[\w-]+)/$")
PRODUCT_LINK = re.compile(r'href="(/catalog/p/[^"]+/)"')


class RequestFailed(AssertionError):
    """An answer a signed-in dealer must never get (an error page, a sign-in redirect, a refused form)."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str
    seconds: float

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("location", "")).path or ""


@dataclass
class Form:
    action: str
    attrs: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The page's forms with the values a browser would submit untouched: hidden and text inputs, the checked and
    enabled radio or checkbox, a select's selected (else first) option, textareas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", ""), attrs=a))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        if a.get("form"):  # a field placed outside its form, tied to it by id (the catalogue's multi-row add)
            form = next((f for f in self.forms if f.attrs.get("id") == a["form"]), None)
            if form is None:
                return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("radio", "checkbox"):
                if "checked" in a and "disabled" not in a:
                    form.fields[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file", "image", "reset"):
                form.fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
                form.fields.setdefault(self._select, self._select_first)
            if "selected" in a:
                form.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            form.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def forms_of(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


class DealerHttp:
    """One browser: its own cookies (session, CSRF), one request at a time. ``on_answer(label, answer)`` is called
    after every request (the load benchmark records latencies with it)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        on_answer: Callable[[str, Answer], None] | None = None,
        timeout: float = 60,
    ) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = dict(headers or {})
        scheme = "https" if self.headers.get("X-Forwarded-Proto") == "https" else "http"
        self.origin = f"{scheme}://{self.host}:{self.port}"
        self.cookies: dict[str, str] = {}
        self.on_answer = on_answer
        self.timeout = timeout

    # -- HTTP ------------------------------------------------------------------------------------------------------

    def request(self, method: str, path: str, data: dict[str, str] | None = None, *, label: str = "") -> Answer:
        headers = {**self.headers, "Host": f"{self.host}:{self.port}", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            body = urlencode(data or {}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = f"{self.origin}{path}"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            answer = Answer(
                status=response.status,
                headers={k.lower(): v for k, v in response.getheaders()},
                text=text,
                seconds=time.perf_counter() - started,
            )
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
        finally:
            connection.close()
        if self.on_answer:
            self.on_answer(label or path, answer)
        return answer

    def get(self, path: str, *, label: str = "", expect: int = 200) -> Answer:
        answer = self.request("GET", path, label=label)
        if answer.status != expect:
            raise RequestFailed(f"GET {path}: {answer.status} {answer.location}")
        return answer

    def post(self, path: str, data: dict[str, str], *, label: str = "", expect: int = 302) -> Answer:
        answer = self.request("POST", path, data, label=label)
        if answer.status != expect:
            raise RequestFailed(f"POST {path}: {answer.status} {answer.location} {error_text(answer.text)}")
        return answer

    # -- the dealer's steps ----------------------------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/accounts/login/", label="sign-in")
        form = next(f for f in forms_of(page.text) if "username" in f.fields)
        answer = self.post(
            "/accounts/login/", {**form.fields, "username": email, "password": password}, label="sign-in"
        )
        if answer.location.startswith("/accounts/login"):
            raise RequestFailed(f"{email} could not sign in")

    def catalogue(self, query: str = "", *, label: str = "") -> Answer:
        path = f"/catalog/?{urlencode({'q': query})}" if query else "/catalog/"
        return self.get(path, label=label or ("search" if query else "catalogue"))

    def product_paths(self, page: Answer) -> list[str]:
        return list(dict.fromkeys(PRODUCT_LINK.findall(page.text)))

    def add_to_cart(self, page: Answer, *, rng: random.Random | None = None, multiple: int = 1) -> None:
        """Add one of the page's products with its smallest quantity (times ``multiple``)."""
        choices = [f for f in forms_of(page.text) if f.attrs.get("data-testid") == "add-to-cart"]
        if not choices:
            raise RequestFailed("no product on the page can be added to the cart")
        form = (rng or random).choice(choices)
        fields = dict(form.fields)
        if multiple > 1:
            fields["quantity"] = str(float(fields["quantity"]) * multiple).rstrip("0").rstrip(".")
        answer = self.post(form.action, fields, label="add to cart")
        self.get(answer.location or "/catalog/", label="catalogue" if "q=" not in fields.get("next", "") else "search")

    def place_order(self, payment_method: str | None = None, note: str = "", po_number: str = "") -> str:
        """Check out the cart (with the dealer's default delivery address); returns the new order's number."""
        page = self.get("/orders/checkout/", label="checkout")
        form = next(f for f in forms_of(page.text) if f.attrs.get("data-testid") == "checkout-form")
        fields = {**form.fields, "note": note, "po_number": po_number}
        if payment_method:
            fields["payment_method"] = payment_method
        answer = self.post("/orders/checkout/", fields, label="place order")
        found = ORDER_URL.match(answer.location)
        if not found:
            raise RequestFailed(f"placing the order went to {answer.location!r}")
        self.get(answer.location, label="order")
        return found.group(1)


def error_text(html: str) -> str:
    """The page's error messages, for a failure's report."""
    found = re.findall(r'class="(?:alert alert--error|field__error)"[^>]*>(.*?)</', html, re.S)
    return " | ".join(re.sub(r"<[^>]+>", " ", f).strip() for f in found)[:500]
