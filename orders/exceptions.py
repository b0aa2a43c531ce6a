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


class OrderRefused(Exception):
    """Placement refused; nothing was saved. ``messages`` are for the dealer; ``checks`` the rules as checked."""

    def __init__(self, messages: list[str], *, checks=None):
        self.messages = messages
        self.checks = checks or []
        super().__init__("; ".join(str(m) for m in messages))


class PricesChanged(Exception):
    """The cart's prices or lines changed since the dealer confirmed them; ``priced`` is the cart priced now."""

    def __init__(self, priced):
        self.priced = priced
        super().__init__("The cart changed since it was confirmed.")


class DecisionRefused(Exception):
    """An approval, rejection or cancellation that is not allowed; ``message`` says why, for the person deciding."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class QuoteRefused(Exception):
    """A quote step that is not allowed now; ``message`` says why, for the person taking it."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)
