class InvalidOrderTransition(Exception):
    """A status change that the transition map does not allow."""

    def __init__(self, order_number: str, from_status: str, to_status: str):
        self.order_number = order_number
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(f"Order {order_number}: {from_status} → {to_status} is not allowed.")


class CartRefused(Exception):
    """A cart change the catalogue rules do not allow; ``message`` is for the dealer, ``suggested`` a quantity
    that would pass, when there is one."""

    def __init__(self, message: str, *, suggested=None):
        self.message = message
        self.suggested = suggested
        super().__init__(message)
