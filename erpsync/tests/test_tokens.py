"""The shared token logic of the adapters that sign in: reuse, the stored token, renewal, and the token endpoint's
answer mapped to the contract's errors."""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.utils import timezone

from erpsync.adapters.base import PermanentError, RetryableError
from erpsync.adapters.tokens import granted, token_pair, token_post
from erpsync.token_store import NeedsAuthorisation, TokenPair, token_problem, token_read

pytestmark = pytest.mark.django_db
KEY = "test:tokens"


def renewing(*tokens: str):
    """A ``renew`` handing out ``tokens`` one by one, counting its calls."""
    handed: list[str] = []

    def renew(current: TokenPair) -> tuple[str, str, int]:
        handed.append(tokens[len(handed)])
        return handed[-1], "", 3600

    renew.handed = handed
    return renew


def answer(status: int, body) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return response


def test_a_usable_token_is_kept_and_the_stored_one_is_taken_before_renewing():
    renew = renewing("first", "second")
    held = TokenPair("mine", "", timezone.now() + timedelta(hours=1), 0)
    assert token_pair(KEY, held, renew) is held
    assert renew.handed == []

    first = token_pair(KEY, TokenPair("", "", None, 0), renew)
    assert (first.access_token, token_read(KEY).access_token) == ("first", "first")
    other_process = token_pair(KEY, TokenPair("", "", None, 0), renew)
    assert other_process.access_token == "first" and renew.handed == ["first"]


def test_a_refused_token_is_renewed_once_even_when_it_looks_usable():
    renew = renewing("first", "second")
    first = token_pair(KEY, TokenPair("", "", None, 0), renew)
    renewed = token_pair(KEY, first, renew, stale=True)
    assert renewed.access_token == "second" and renewed.version == first.version + 1


def test_a_renewal_that_needs_a_person_is_permanent_and_stored_as_the_problem():
    def renew(current: TokenPair):
        raise NeedsAuthorisation("The ERP refused the password.")

    with pytest.raises(PermanentError) as refused:
        token_pair(KEY, TokenPair("", "", None, 0), renew)
    assert refused.value.code == "needs_authorisation"
    assert token_problem(KEY) == "The ERP refused the password."


def test_granted_reads_the_token_and_its_lifetime():
    assert granted(answer(200, {"access_token": "abc", "expires_in": 1200}), who="Logo", lifetime=60,
                   refused=str) == ("abc", "", 1200)  # fmt: skip
    assert granted(answer(200, {"access_token": "abc"}), who="Logo", lifetime=60, refused=str) == ("abc", "", 60)


@pytest.mark.parametrize("status", [429, 503])
def test_granted_asks_for_a_retry_when_the_erp_cannot_sign_in_now(status):
    with pytest.raises(RetryableError, match=f"Netsis could not sign in now: {status}"):
        granted(answer(status, "busy"), who="Netsis", lifetime=60, refused=str)


@pytest.mark.parametrize(
    ("status", "body"), [(400, {"error": "invalid_grant"}), (200, {"token_type": "bearer"}), (200, "<html>")]
)
def test_granted_needs_a_person_when_the_erp_gives_no_token(status, body):
    with pytest.raises(NeedsAuthorisation, match="refused: "):
        granted(answer(status, body), who="Logo", lifetime=60, refused=lambda body: f"refused: {body}")


def test_token_post_sends_the_form_and_words_a_refusal_with_the_answer_text(httpserver_token):
    url, seen = httpserver_token
    session = requests.Session()
    granted_token = token_post(
        session, url, who="Logo", timeout=5, lifetime=60, refused=None, data={"grant_type": "password"}
    )
    assert granted_token == ("tok", "", 900)
    assert seen == ["grant_type=password"]
    with pytest.raises(NeedsAuthorisation, match="refused: None / no such user"):
        token_post(session, url + "?refuse", who="Logo", timeout=5, lifetime=60,
                   refused=lambda body, text: f"refused: {body} / {text}", data={})  # fmt: skip


def test_token_post_without_an_answer_is_the_transports_retryable_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RetryableError):
        token_post(requests.Session(), f"http://127.0.0.1:{port}/token", who="Netsis", timeout=2, lifetime=60,
                   refused=lambda body, text: text)  # fmt: skip


@pytest.fixture
def httpserver_token():
    """A token endpoint on loopback: the access token, or a plain-text refusal when the URL ends in ``?refuse``."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
            refuse = self.path.endswith("?refuse")
            body = b"no such user" if refuse else json.dumps({"access_token": "tok", "expires_in": 900}).encode()
            self.send_response(400 if refuse else 200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token", seen
    server.shutdown()
    server.server_close()
