"""What every ERP simulator's HTTP side shares: serving on loopback from a daemon thread, and a request handler
that hands each method to the simulator's ``_serve``."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


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
