"""The refusals of memberships: one `core.errors.Refusal` subclass, answered in the API's one error shape."""

from core.errors import Refusal


class MembershipError(Refusal):
    """invalid_email, plan_unavailable, already_member, too_many_joins (429, with `wait`), no_customer,
    payment_unavailable (503: Stripe could not be reached), …"""

    def __init__(self, code: str, message: str, status_code: int | None = None, *, wait: int = 0):
        super().__init__(code, message, status_code)
        if wait:
            self.wait = wait  # the API answers it as Retry-After (core.api), the pages too
