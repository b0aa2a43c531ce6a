"""A local iyzico for tests and demos (see ``server`` for what it promises): ``server`` runs it, ``api`` answers the
API, ``pages`` are the hosted payment page, ``cards`` the sandbox test cards."""

from payments.simulators.iyzico.api import THREE_D_SECURE_CODE
from payments.simulators.iyzico.cards import TEST_CARDS
from payments.simulators.iyzico.server import IyzicoSimulator, main

__all__ = ["TEST_CARDS", "THREE_D_SECURE_CODE", "IyzicoSimulator", "main"]
