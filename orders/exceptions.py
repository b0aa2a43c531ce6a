class InvalidOrderTransition(Exception):
    """A status change that the transition map does not allow."""

    def __init__(self, order_number: str, from_status: str, to_status: str):
        self.order_number = order_number
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(f"Order {order_number}: {from_status} → {to_status} is not allowed.")
