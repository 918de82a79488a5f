"""What the account page shows, read through each app's selectors: orders, programs, membership, and whether
mail to the address is stopped. A fixed number of queries, however many orders and programs there are."""

from billing.customer import current_membership
from core.models import Suppression
from core.suppression import SELF_LIFTABLE, entries_for
from programs.customer import enrollments_for_account
from programs.selectors import local_label
from shop.customer import orders_for_account


def mail_stop(email: str) -> dict | None:
    """Why mail to the address is stopped (None: it is not), and whether the customer may start it again."""
    reasons = set(entries_for(email).values_list("reason", flat=True))
    if not reasons:
        return None
    labels = [Suppression.Reason(reason).label for reason in sorted(reasons)]
    return {"reasons": labels, "self_liftable": reasons <= SELF_LIFTABLE}


def account_overview(email: str) -> dict:
    """The account page's context for the signed-in address."""
    programs = enrollments_for_account(email)
    for enrollment in programs:
        # On the customer's clock, their zone named (programs.selectors): "Tuesday 3 March, 08:00 (Europe/Berlin)".
        enrollment.next_label = local_label(enrollment, enrollment.next_due, long=True)
    return {
        "email": email,
        "orders": orders_for_account(email),
        "programs": programs,
        "membership": current_membership(email),
        "mail_stop": mail_stop(email),
        "hours": range(24),
    }
