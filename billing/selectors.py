"""Reads the pages, the API, the admin and other apps share.

For other apps (programs, accounts): `has_access(email)`, `members_with_access()`, and
`register_granted_programs(fn)`, through which programs tells what a membership grants (the API's
`programs` list) without billing importing programs.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from billing.models import Plan, Subscription
from core.suppression import normalize_email

# fn(subscription) -> [{"slug": ..., "name": ...}]: the programs a subscription grants (registered by programs).
GrantedPrograms = Callable[[Subscription], list[dict]]
_granted_programs: list[GrantedPrograms] = []
MRR_STATUSES = (Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE)  # paying, or Stripe still collecting


def has_access(email: str) -> bool:
    """Whether this email has a membership that gives access now (trialing, active or past due)."""
    return Subscription.objects.with_access().filter(email=normalize_email(email)).exists()


def members_with_access() -> QuerySet:
    """The emails (lower-cased, each once) that have access now, alphabetically: a values_list queryset."""
    return Subscription.objects.with_access().order_by("email").values_list("email", flat=True).distinct()


def plans_on_offer() -> QuerySet[Plan]:
    return Plan.objects.on_offer()


def subscription_for_token(token: str) -> Subscription | None:
    return Subscription.objects.select_related("plan", "customer").filter(token=token).first()


def subscription_for_session(session_id: str) -> Subscription | None:
    return Subscription.objects.select_related("plan").filter(checkout_session_id=session_id).first()


def register_granted_programs(function: GrantedPrograms) -> GrantedPrograms:
    """Called once by an app that grants programs to members (in its `AppConfig.ready`)."""
    if function not in _granted_programs:
        _granted_programs.append(function)
    return function


def granted_programs(subscription: Subscription) -> list[dict]:
    """What this membership grants (empty until an app registers with `register_granted_programs`)."""
    return [program for function in _granted_programs for program in function(subscription)]


@dataclass(frozen=True)
class Figures:
    members: int  # emails with access now
    mrr: list[tuple[str, Decimal]]  # (currency, monthly revenue) of active and past-due memberships
    active_at_month_start: int
    ended_this_month: int

    @property
    def churn(self) -> Decimal | None:
        """Of the memberships giving access when the month began, the share that stopped since (None: none)."""
        if not self.active_at_month_start:
            return None
        return (Decimal(self.ended_this_month) * 100 / self.active_at_month_start).quantize(Decimal("0.1"))


def membership_figures(*, now: datetime | None = None) -> Figures:
    """Members, MRR and this month's churn, for the subscriptions' admin list (a few aggregate queries).

    MRR counts active and past-due memberships (trials pay nothing yet), a yearly price as a twelfth.
    Churn: memberships that gave access at the start of this month (UTC) and stopped since, over all those
    that gave access then."""
    now = now or timezone.now()
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    mrr: dict[str, Decimal] = {}
    for row in Subscription.objects.filter(status__in=MRR_STATUSES).values("amount", "currency", "interval"):
        monthly = row["amount"] / 12 if row["interval"] == Plan.Interval.YEAR else row["amount"]
        mrr[row["currency"]] = mrr.get(row["currency"], Decimal("0")) + monthly
    at_start = Subscription.objects.filter(access_started_at__lt=start).filter(
        Q(access_ended_at__isnull=True) | Q(access_ended_at__gte=start)
    )
    return Figures(
        members=members_with_access().count(),
        mrr=sorted((currency, amount.quantize(Decimal("0.01"))) for currency, amount in mrr.items()),
        active_at_month_start=at_start.count(),
        ended_this_month=at_start.filter(access_ended_at__gte=start, has_access=False).count(),
    )
