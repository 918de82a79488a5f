"""Premium programs: which programs a membership grants, and each member's enrollments kept in line with it.

Plans grant programs (`Program.plans`, declared on this side: programs may import billing, not the reverse).
While an address has a membership that gives access (trialing, active, past due) it is enrolled once in each
program its plans grant (origin `member`); when no membership grants a program any more, that enrollment stops
where it is (`stopped`: unsent lessons cancelled, sent ones kept), and it continues from its next unsent lesson,
at the next send hour, when one grants it again: a re-activation, a new subscription, a plan that grants it
again.

Every pass reads the truth, not the announcement. `sync_member` (billing's `membership_started` and
`membership_ended`, sent after commit) asks which plans give the address access now, with the address's
subscriptions locked as billing locks them, so a duplicate, late or out-of-order announcement changes nothing
more. `sync_program_members` (staff changed which plans grant a program) does the same for every member of one
program, in batches: in the admin's request up to `INLINE_MEMBERS`, on the worker after commit above that.

A plan that stops granting a program stops that program for its members, except those another membership of
theirs still grants it to. A program that retires (not active) takes no new members; the running ones go on.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterator

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.utils import timezone

from billing.models import Subscription
from core.redaction import mask_email
from core.suppression import normalize_email
from programs import enrollments, scheduling
from programs.models import Enrollment, Program

logger = logging.getLogger(__name__)
MEMBER = Enrollment.Origin.MEMBER
BATCH_SIZE = 1000
# Up to this many members (or member enrollments) a change of the plans granting a program is applied in the
# admin's request, as a lesson added to a program is (programs.scheduling); above it, by a worker after commit.
INLINE_MEMBERS = scheduling.INLINE_STEP_ENROLLMENTS


def granted_programs(subscription: Subscription) -> list[dict]:
    """What a membership grants, for billing's API (registered with `billing.selectors.register_granted_programs`):
    the active programs of its plan, by name."""
    rows = Program.objects.active().filter(plans=subscription.plan_id).order_by("name").values_list("slug", "name")
    return [{"slug": slug, "name": name} for slug, name in rows]


def _profiles(emails: list[str]) -> dict[str, tuple[str, str]]:
    """Upper-cased address → (time zone, name) of its newest enrollment of any kind, in one query: a member who
    bought a FoosFoot gets the lessons on the clock of their shipping address."""
    rows = (
        Enrollment.objects.annotate(address=Upper("email"))
        .filter(address__in=[email.upper() for email in emails])
        .order_by("created_at", "pk")
        .values_list("address", "timezone", "name")
    )
    return {address: (zone, name) for address, zone, name in rows}


# --- one member: billing announced a change of their access ---------------------------------------


def _granted_to(email: str) -> dict[int, bool]:
    """Program id → is active, of the programs the address's memberships that give access grant now. Locks the
    address's subscriptions, in billing's own order (billing.lifecycle.lock_member), in the same query: a change
    billing makes meanwhile waits for this pass, and is announced, and synced, again after it."""
    rows = (
        Subscription.objects.select_for_update(of=("self",))
        .filter(email=email)
        .order_by("pk")
        .values_list("status", "plan__granted_programs", "plan__granted_programs__is_active")
    )
    return {
        program_id: is_active
        for status, program_id, is_active in rows
        if status in Subscription.ACCESS_STATUSES and program_id is not None
    }


def sync_member(*, email: str, now: dt.datetime | None = None) -> dict[str, int]:
    """Bring the address's member enrollments in line with the memberships that give it access now: enroll in
    each granted program it has none of, continue the stopped ones granted again, stop the running ones no
    membership grants. Idempotent; counts what it changed."""
    email, now = normalize_email(email), now or timezone.now()
    counts = {"enrolled": 0, "continued": 0, "stopped": 0}
    # No savepoint of its own: nothing here is worth keeping without the rest (and it runs inside each Stripe
    # event's request, whose queries billing counts: tests/billing/test_query_counts.py).
    with transaction.atomic(savepoint=False):
        granted = _granted_to(email)
        held = Enrollment.objects.select_for_update(of=("self",)).select_related("program")
        have = set()
        for enrollment in held.filter(email__iexact=email, origin=MEMBER).order_by("pk"):
            have.add(enrollment.program_id)
            if enrollment.program_id in granted:
                counts["continued"] += enrollments.continue_for_membership(enrollment=enrollment, now=now)
            else:
                counts["stopped"] += enrollments.stop_for_membership(enrollment=enrollment)
        missing = [pk for pk, is_active in granted.items() if is_active and pk not in have]
        if missing:
            zone, name = _profiles([email]).get(email.upper(), (None, ""))
            for program in Program.objects.filter(pk__in=missing).order_by("pk"):
                try:
                    enrollments.enroll(
                        program=program, email=email, origin=MEMBER, name=name, timezone_name=zone, now=now
                    )
                except IntegrityError:  # a program pass enrolled the address a moment ago (its savepoint is undone)
                    continue
                counts["enrolled"] += 1
    if any(counts.values()):
        logger.info("member %s: %s", mask_email(email), counts)
    return counts


# --- one program: staff changed which plans grant it -----------------------------------------------


def _granting(program: Program) -> QuerySet[Subscription]:
    """The subscriptions that give access now on a plan granting the program."""
    return Subscription.objects.filter(status__in=Subscription.ACCESS_STATUSES, plan__granted_programs=program)


def _member_batches(program: Program, batch_size: int) -> Iterator[list[str]]:
    """The addresses the program's plans grant it to now, each once, `batch_size` at a time (keyset by email)."""
    last = ""
    while True:
        batch = list(
            _granting(program)
            .filter(email__gt=last)
            .order_by("email")
            .values_list("email", flat=True)
            .distinct()[:batch_size]
        )
        if batch:
            yield batch
        if len(batch) < batch_size:
            return
        last = batch[-1]


def _grant_batch(program: Program, emails: list[str], now: dt.datetime) -> tuple[int, int]:
    """Enroll the addresses of a batch that have no member enrollment in the program, continue the stopped
    ones; (enrolled, continued). A constant number of queries, plus a few per stopped enrollment continued."""
    held = (
        Enrollment.objects.select_for_update()
        .filter(program=program, origin=MEMBER)
        .annotate(address=Upper("email"))
        .filter(address__in=[email.upper() for email in emails])
    )
    have, continued = set(), 0
    for enrollment in held.order_by("pk"):
        have.add(enrollment.address)
        enrollment.program = program
        continued += enrollments.continue_for_membership(enrollment=enrollment, now=now)
    new = [email for email in emails if email.upper() not in have]
    if not new or not program.is_active:
        return 0, continued
    created = enrollments.enroll_members(program=program, emails=new, profiles=_profiles(new), now=now)
    return len(created), continued


def sync_program_members(
    *, program_id: int, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Bring every member enrollment of a program in line with the plans that grant it now: stop those no
    membership grants any more, enroll (an active program) or continue the members its plans grant it to.
    Idempotent; each batch is its own transaction. Counts what it changed."""
    now = now or timezone.now()
    counts = {"enrolled": 0, "continued": 0, "stopped": 0}
    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return counts
    still_granted = _granting(program).annotate(address=Upper("email")).values("address")
    ungranted = (
        Enrollment.objects.filter(program=program).annotate(address=Upper("email")).exclude(address__in=still_granted)
    )
    counts["stopped"] = enrollments.stop_member_enrollments(ungranted)
    for emails in _member_batches(program, batch_size):
        with transaction.atomic():
            enrolled, continued = _grant_batch(program, emails, now)
        counts["enrolled"] += enrolled
        counts["continued"] += continued
    if any(counts.values()):
        logger.info("program %s, members: %s", program.slug, counts)
    return counts


def _to_check(program_id: int) -> int:
    """How many members and member enrollments a change of the program's plans may touch (capped)."""
    cap = INLINE_MEMBERS + 1
    members = Subscription.objects.filter(
        status__in=Subscription.ACCESS_STATUSES, plan__granted_programs=program_id
    ).values("email")
    held = Enrollment.objects.filter(program_id=program_id, origin=MEMBER)
    return members[:cap].count() + held[:cap].count()


def plans_changed(
    *, instance, action: str, reverse: bool, pk_set: set | None, sync_later: Callable[[int], object]
) -> list[int]:
    """`m2m_changed` of `Program.plans`, from either side (a program's plans, or a plan's `granted_programs`):
    each program whose plans changed gets `sync_program_members`, here or (a big one) through `sync_later`
    (called with its id once the change commits). Returns the programs it synced here."""
    if action == "pre_clear" and reverse:  # a plan losing all its programs: which ones, before they go
        instance._programs_before_clear = list(instance.granted_programs.values_list("pk", flat=True))
        return []
    if action not in ("post_add", "post_remove", "post_clear"):
        return []
    if not reverse:
        program_ids = [instance.pk]
    elif action == "post_clear":
        program_ids = getattr(instance, "_programs_before_clear", [])
    else:
        program_ids = sorted(pk_set or [])
    synced = []
    for program_id in program_ids:
        if _to_check(program_id) <= INLINE_MEMBERS:
            sync_program_members(program_id=program_id)
            synced.append(program_id)
        else:
            transaction.on_commit(lambda program_id=program_id: sync_later(program_id))
    return synced
