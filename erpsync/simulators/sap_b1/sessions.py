"""Service Layer sessions: ``B1SESSION`` ids with a sliding timeout, an optional cap on how many are open, and
forced expiry for tests."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal

from erpsync.simulators.sap_b1.errors import INVALID_SESSION, LOGIN_FAILED, B1Error

SESSION_EXPIRED_MESSAGE = "Invalid session or session already timeout."


@dataclass
class Session:
    id: str
    user: str
    company_db: str
    route: str
    last_seen: float
    language: int | None = None


class Sessions:
    """Live sessions with a sliding idle timeout measured on a monotonic clock that tests can move forward."""

    def __init__(
        self,
        *,
        timeout_minutes: float,
        max_sessions: int | None,
        cap_policy: Literal["refuse", "evict_oldest"],
    ) -> None:
        self.timeout_minutes = timeout_minutes
        self.max_sessions = max_sessions
        self.cap_policy = cap_policy
        self._sessions: dict[str, Session] = {}
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Pretend ``seconds`` of idleness passed for every session."""
        with self._lock:
            self._offset += seconds

    def _alive(self, session: Session, now: float) -> bool:
        return now - session.last_seen <= self.timeout_minutes * 60

    def open(self, *, user: str, company_db: str, route: str, language: int | None, cap_status: int) -> Session:
        """A new session; at the cap either refused (``cap_status``, code 100000027) or the oldest is evicted."""
        with self._lock:
            now = self.now()
            self._sessions = {key: s for key, s in self._sessions.items() if self._alive(s, now)}
            if self.max_sessions is not None and len(self._sessions) >= self.max_sessions:
                if self.cap_policy == "refuse":
                    raise B1Error(
                        cap_status,
                        LOGIN_FAILED,
                        f"Login failed: the maximum number of sessions ({self.max_sessions}) is in use",
                    )
                oldest = min(self._sessions.values(), key=lambda s: s.last_seen)
                del self._sessions[oldest.id]
            session = Session(str(secrets.token_hex(16)), user, company_db, route, now, language)
            # Format it like the Service Layer's GUID-style session ids.
            raw = session.id
            session.id = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:32]}"
            self._sessions[session.id] = session
            return session

    def touch(self, session_id: str | None) -> Session:
        """The live session ``session_id``, its idle clock restarted; else HTTP 401 / code 301."""
        with self._lock:
            now = self.now()
            session = self._sessions.get(session_id or "")
            if session is None or not self._alive(session, now):
                self._sessions.pop(session_id or "", None)
                raise B1Error(401, INVALID_SESSION, SESSION_EXPIRED_MESSAGE)
            session.last_seen = now
            return session

    def close(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def expire(self, session_id: str | None = None) -> None:
        """Forget one session (or all): the next call with it gets 401 / 301."""
        with self._lock:
            if session_id is None:
                self._sessions.clear()
            else:
                self._sessions.pop(session_id, None)

    def count(self) -> int:
        with self._lock:
            now = self.now()
            return sum(1 for s in self._sessions.values() if self._alive(s, now))
