"""``python -m payments.simulators``: run the iyzico simulator by hand (``--help`` for its options)."""

from payments.simulators.iyzico import main

main()
