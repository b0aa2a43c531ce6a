"""Fault switches for resilience tests (latency, 5xx, 429 with Retry-After, forced session expiry, connection
reset, "apply the write, then drop the response") and request statistics."""

from __future__ import annotations

import contextlib
import fnmatch
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["latency", "error", "throttle", "expire_session", "reset", "drop_response", "refuse"]


@dataclass
class Fault:
    """One injected fault: applies to requests whose path (relative to ``/b1s/v1/``, e.g. ``Orders``,
    ``Orders(12)/Cancel``, ``Items?$filter=…`` without the query) matches ``pattern`` (fnmatch) and whose method
    matches ``method`` (``None`` = any), for the next ``count`` matching requests (``None`` = for ever)."""

    kind: FaultKind
    pattern: str = "*"
    method: str | None = None
    count: int | None = 1
    seconds: float = 0.0
    status: int = 503
    retry_after: int = 1
    mode: Literal["reset", "timeout"] = "reset"
    body: str | None = None
    code: int = 0
    message: str = ""
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return fnmatch.fnmatchcase(path, self.pattern)


class Faults:
    """The fault switches of one simulator. Thread-safe; each matching request consumes one count of each fault."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: FaultKind, pattern: str = "*", *, method: str | None = None, count: int | None = 1,
            **options: Any) -> Fault:  # fmt: skip
        fault = Fault(kind, pattern, method, count, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def latency(self, pattern: str = "*", seconds: float = 0.2, **kw: Any) -> Fault:
        """Delay matching requests by ``seconds`` before they are handled."""
        return self.add("latency", pattern, seconds=seconds, **kw)

    def error(self, pattern: str = "*", status: int = 503, **kw: Any) -> Fault:
        """Answer ``status`` (e.g. 502/503) with an HTML body, as the load balancer in front of the SL does."""
        return self.add("error", pattern, status=status, **kw)

    def throttle(self, pattern: str = "*", retry_after: int = 1, **kw: Any) -> Fault:
        """Answer 429 with ``Retry-After`` (seconds)."""
        return self.add("throttle", pattern, retry_after=retry_after, **kw)

    def expire_session(self, pattern: str = "*", **kw: Any) -> Fault:
        """End the caller's session just before the request is checked, so it gets 401 / 301."""
        return self.add("expire_session", pattern, **kw)

    def reset(self, pattern: str = "*", **kw: Any) -> Fault:
        """Close the connection without any response; nothing is applied."""
        return self.add("reset", pattern, **kw)

    def drop_response(self, pattern: str = "*", mode: Literal["reset", "timeout"] = "reset", seconds: float = 2.0,
                      **kw: Any) -> Fault:  # fmt: skip
        """Apply the request (the write happens) and then lose the answer: ``reset`` closes the connection at once,
        ``timeout`` holds it silent for ``seconds`` before closing, so a client with a shorter timeout gives up."""
        return self.add("drop_response", pattern, mode=mode, seconds=seconds, **kw)

    def refuse(self, pattern: str = "*", *, code: int, message: str, status: int = 400, **kw: Any) -> Fault:
        """Answer ``status`` with a Service Layer error body (``code``, ``message``) without applying the request:
        e.g. a record locked by another user (``errors.LOCKED_CODE``/``LOCKED_MESSAGE``)."""
        return self.add("refuse", pattern, status=status, code=code, message=message, **kw)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that fire for this request, their counts consumed."""
        fired: list[Fault] = []
        with self._lock:
            for fault in self._faults:
                if (fault.count is None or fault.count > 0) and fault.matches(method, path):
                    if fault.count is not None:
                        fault.count -= 1
                    fault.hits += 1
                    fired.append(fault)
        return fired


@dataclass
class Stats:
    """What the simulator saw: every request as ``(method, path)``, and the most requests in flight at once."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_concurrent: int = 0
    logins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextlib.contextmanager
    def request(self, method: str, path: str) -> Iterator[None]:
        with self._lock:
            self.requests.append((method, path))
            self.in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_concurrent = self.in_flight
            self.logins = 0

    def count(self, method: str | None = None, pattern: str = "*") -> int:
        """How many requests matched ``method`` and the fnmatch ``pattern`` on the relative path."""
        with self._lock:
            return sum(
                1
                for m, p in self.requests
                if (method is None or m == method.upper()) and fnmatch.fnmatchcase(p, pattern)
            )
