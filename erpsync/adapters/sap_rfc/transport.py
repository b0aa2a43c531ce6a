"""The RFC transport: the one seam between the adapter and SAP, with the shape of ``pyrfc.Connection``
(``call(name, **params) -> dict``, ``close()``, ``alive``).

- ``PyrfcTransport`` wraps pyrfc, imported here and only here, when a connection opens: pyrfc needs SAP's NW RFC
  SDK, which is not public, so neither ``make run`` nor the tests need it (``pyrfc_missing`` says what to install;
  the system check ``erpsync.E005`` repeats it for a connection configured without it);
- ``SimulatorTransport`` talks to the in-process BAPI simulator (``erpsync.simulators.sap_rfc``).

Both raise ``RfcFailure`` for what goes wrong, sorted by pyrfc's exception class names (the simulator raises the same
names): ``communication`` (the connection broke: the session's uncommitted work is gone), ``cancelled`` (the call
outlived its timeout, RFC_CANCELED), ``logon``, ``abap`` (an exception the function module raised, ``key`` names
it), ``other``.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from collections.abc import Mapping
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from erpsync.simulators.sap_rfc import registered

PYRFC_HINT = (
    "pyrfc is not installed: download SAP NW RFC SDK 7.50 from SAP (S-user needed), unpack it to "
    "/usr/local/sap/nwrfcsdk, set SAPNWRFC_HOME to it and add its lib folder to the library path, then "
    "`pip install pyrfc` (see docs/sap-rfc.md)."
)


class RfcFailure(Exception):
    """An RFC call or logon failed. ``kind``: communication, cancelled, logon, abap or other."""

    def __init__(self, kind: str, message: str, *, key: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.key = key
        self.message = message


class Transport(Protocol):
    alive: bool

    def call(self, name: str, **params: Any) -> dict[str, Any]: ...

    def close(self) -> None: ...


def failure_of(exc: Exception) -> RfcFailure:
    """pyrfc's (or the simulator's) exception as an ``RfcFailure``."""
    name = type(exc).__name__
    key = str(getattr(exc, "key", "") or "")
    message = str(getattr(exc, "message", "") or exc)
    if name == "CommunicationError":
        return RfcFailure("communication", message, key=key)
    if name == "LogonError":
        return RfcFailure("logon", message, key=key)
    if key == "RFC_CANCELED" or name == "RFCCanceled":
        return RfcFailure("cancelled", message, key=key)
    if name == "ABAPApplicationError":
        return RfcFailure("abap", message, key=key)
    return RfcFailure("other", f"{name}: {message}", key=key)


def pyrfc_missing() -> str:
    """Why pyrfc cannot be used here ('' when it can)."""
    return "" if importlib.util.find_spec("pyrfc") is not None else PYRFC_HINT


class PyrfcTransport:
    """One pyrfc ``Connection`` (one RFC session in SAP)."""

    def __init__(self, parameters: Mapping[str, Any], *, timeout: float) -> None:
        try:
            pyrfc = importlib.import_module("pyrfc")
        except ImportError as exc:
            raise ImproperlyConfigured(f"SAP RFC adapter: {PYRFC_HINT}") from exc
        try:
            self._connection = pyrfc.Connection(**parameters, config={"timeout": timeout, "rstrip": True})
        except Exception as exc:  # pyrfc's own classes, sorted by name
            raise failure_of(exc) from exc

    @property
    def alive(self) -> bool:
        return bool(getattr(self._connection, "alive", True))

    def call(self, name: str, **params: Any) -> dict[str, Any]:
        try:
            return self._connection.call(name, **params)
        except Exception as exc:
            raise failure_of(exc) from exc

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken connection: nothing left to release
            self._connection.close()


class SimulatorTransport:
    """A session on a registered ``SapSystem``; logs on with the credentials' ``user`` and ``passwd``."""

    def __init__(self, name: str, parameters: Mapping[str, Any], *, timeout: float) -> None:
        system = registered(name)
        if system is None:
            raise RfcFailure("communication", f"no SAP simulator is registered as {name!r}")
        try:
            self._connection = system.connect(
                user=str(parameters.get("user", "")), passwd=str(parameters.get("passwd", "")), timeout=timeout
            )
        except Exception as exc:
            raise failure_of(exc) from exc

    @property
    def alive(self) -> bool:
        return self._connection.alive

    def call(self, name: str, **params: Any) -> dict[str, Any]:
        try:
            return self._connection.call(name, **params)
        except Exception as exc:
            raise failure_of(exc) from exc

    def close(self) -> None:
        self._connection.close()
