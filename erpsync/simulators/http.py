"""What every ERP simulator's HTTP side shares: serving on loopback from a daemon thread, a request handler that
hands each method to the simulator's ``_serve``, reading the body, writing an answer, dropping the connection, and
the fault switches (``erpsync.simulators.sap_b1.faults``) around one call."""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qsl


class Reply(Protocol):
    """What a handler writes: ``body`` is ``None`` (no body), text, bytes or JSON-able."""

    status: int
    body: Any
    content_type: str
    headers: dict[str, str]


class Answer:
    """One answer of a simulator; ``default_content_type`` is the system's usual one."""

    default_content_type: ClassVar[str] = "application/json; charset=utf-8"

    def __init__(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None, content_type: str | None = None
    ) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type or self.default_content_type


class BearerTokens:
    """The access tokens an OAuth2 password grant issued, each good for its lifetime (``issued`` counts them)."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}  # token → monotonic expiry
        self._lock = threading.Lock()
        self.issued = 0

    def issue(self, lifetime: float) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._expiry[token] = time.monotonic() + lifetime
            self.issued += 1
        return token

    def check(self, authorization: str) -> str | None:
        """The token of an ``Authorization: Bearer`` header while it is good; ``None`` (an expired one forgotten)
        otherwise."""
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            expiry = self._expiry.get(token) if scheme.lower() == "bearer" else None
            if expiry is not None and expiry < time.monotonic():
                del self._expiry[token]
                expiry = None
        return token if expiry is not None else None

    def revoke(self, token: str) -> None:
        with self._lock:
            self._expiry.pop(token, None)

    def clear(self) -> None:
        """Every token issued so far is gone."""
        with self._lock:
            self._expiry.clear()


def form_fields(raw: bytes) -> dict[str, str]:
    """A form-encoded body (``application/x-www-form-urlencoded``) as a dict, blank values kept."""
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


class SimulatorHandler(BaseHTTPRequestHandler):
    """One request to a simulator (``self.simulator``); subclasses answer it in ``_serve(method)``."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY each keep-alive call waits on a delayed ACK.
    disable_nagle_algorithm = True
    logger: ClassVar[logging.Logger] = logging.getLogger(__name__)

    @property
    def simulator(self) -> Any:
        return self.server.simulator  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        self.logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        raise NotImplementedError

    # JSON bodies are written with this ``default`` (``None``: only what ``json`` writes by itself).
    json_default: ClassVar[Callable[[Any], Any] | None] = None
    # The HTML page a 5xx ``error`` fault answers (``{status}`` filled in), as the system's front server writes it.
    error_page: ClassVar[str] = ""

    def _body(self) -> bytes:
        """The request body, as long as ``Content-Length`` says (empty without one)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _abort(self) -> None:
        """Drop the connection with no response at all; SO_LINGER 0 makes the close a reset (RST)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _send(self, reply: Reply) -> None:
        """Write ``reply``: ``Content-Type`` only with a body, ``Content-Length``, then ``_headers(reply)``."""
        if reply.body is None:
            payload = b""
        elif isinstance(reply.body, str):
            payload = reply.body.encode()
        elif isinstance(reply.body, bytes):
            payload = reply.body
        else:
            payload = json.dumps(reply.body, ensure_ascii=False, default=type(self).json_default).encode()
        self.send_response(reply.status)
        if payload:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in self._headers(reply):
            self.send_header(name, value)
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _headers(self, reply: Reply) -> list[tuple[str, str]]:
        """The headers after ``Content-Length``: the reply's own (a system adds those all its answers carry)."""
        return list(reply.headers.items())

    # -- fault switches ---------------------------------------------------------------------------------------------

    def _serve_faulted(self, method: str, seen: str, answer: Callable[[dict[str, Any]], Reply]) -> None:
        """Serve one call through the simulator's fault switches, counted in its statistics under ``seen`` (the
        path the switches match): ``latency`` waits, ``reset`` drops the connection, ``error`` / ``throttle`` /
        ``refuse`` answer in place of the call (``_fault_answer``), otherwise ``answer(kinds)`` (the fired faults
        by kind) answers, and ``drop_response`` lets the call happen, then loses its answer."""
        sim = self.simulator
        with sim.stats.request(method, seen):
            fired = sim.faults.take(method, seen)
            for fault in fired:
                if fault.kind == "latency":
                    time.sleep(fault.seconds)
            kinds = {fault.kind: fault for fault in fired}
            if "reset" in kinds:
                self._abort()
                return
            instead = self._fault_answer(kinds)
            if instead is not None:
                self._send(instead)
                return
            reply = answer(kinds)
            if "drop_response" in kinds:
                fault = kinds["drop_response"]
                if fault.mode == "timeout":
                    time.sleep(fault.seconds)
                self._abort()
                return
            self._send(reply)

    def _fault_answer(self, kinds: dict[str, Any]) -> Reply | None:
        """The answer a fired ``error``, ``throttle`` or ``refuse`` fault gives in place of the call, in that order."""
        if "error" in kinds:
            fault = kinds["error"]
            return self._error_reply(fault.status, fault.body or self.error_page.format(status=fault.status))
        if "throttle" in kinds:
            throttled = self._throttled(kinds["throttle"])
            if throttled is not None:
                return throttled
        if "refuse" in kinds:
            return self._refused(kinds["refuse"])
        return None

    def _error_reply(self, status: int, html: str) -> Reply:
        return Answer(status, html, content_type="text/html")

    def _throttled(self, fault: Any) -> Reply | None:
        """The answer to a ``throttle`` fault; ``None`` where the system has no such answer (the call goes on)."""
        return None

    def _refused(self, fault: Any) -> Reply:
        """The system's business-error answer for a ``refuse`` fault."""
        raise NotImplementedError


class LoopbackServer:
    """Start and stop a simulator's HTTP server: ``handler_class()`` answers, ``thread_name`` names the serving
    thread; the simulator sets ``host``, ``port`` (0 for a free one) and calls ``_server_init()`` in its
    ``__init__``."""

    thread_name: ClassVar[str]
    host: str
    port: int

    def handler_class(self) -> type[SimulatorHandler]:
        raise NotImplementedError

    @property
    def root_url(self) -> str:
        """``http://host:port/``: the simulator's address once started."""
        return f"http://{self.host}:{self.port}/"

    def _server_init(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self):
        """Bind (a free port when ``port`` is 0) and serve from a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self.port), self.handler_class())
        server.daemon_threads = True
        server.simulator = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        # A short poll interval keeps stop() (and so every test's teardown) quick.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C interrupts the wait)."""
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
