"""Local stand-ins for the card providers ``payments.gateways`` talks to, so gateways are tested against real HTTPS
without the provider.

``IyzicoSimulator`` (``iyzico``) serves iyzico's Checkout Form API and its hosted payment page from memory;
``python -m payments.simulators`` runs it from the command line.
"""

from payments.simulators.iyzico import TEST_CARDS, IyzicoSimulator

__all__ = ["TEST_CARDS", "IyzicoSimulator"]
