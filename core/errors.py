"""One base class for every refusal the domain makes (out of stock, an illegal status move, …).

Services raise a subclass; the API answers it in the one error shape (`core.api`), and the
HTML views show its message next to the form. Nothing adapts one refusal into another.
"""


class Refusal(Exception):
    """A request refused for a reason the person can act on: a stable `code`, a sentence, an HTTP status."""

    status_code = 400

    def __init__(self, code: str, message: str, status_code: int | None = None, *, fields: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields
        if status_code is not None:
            self.status_code = status_code

    def __str__(self) -> str:
        return self.message


class NotFound(Refusal):
    """Nothing answers to this token or slug (404)."""

    status_code = 404

    def __init__(self, message: str = "Nothing was found at this address."):
        super().__init__("not_found", message)
