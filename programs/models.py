"""Exercise programs sent by email, one lesson a day, and who receives them.

A `Delivery` row is the schedule: one per enrollment × step, due at an instant in
UTC. The beat tick claims the due ones (see `programs.dispatch`).
"""

from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import Upper
from django.urls import reverse

from core.tokens import new_token
from programs.validators import validate_send_hour, validate_time_zone

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


def every_day() -> list[int]:
    return list(EVERY_DAY)


class ProgramQuerySet(models.QuerySet):
    def active(self) -> "ProgramQuerySet":
        return self.filter(is_active=True)

    def public(self) -> "ProgramQuerySet":
        """Active programs anyone may join free (double opt-in)."""
        return self.active().filter(is_public=True)

    def with_lesson_count(self) -> "ProgramQuerySet":
        """Each program's number of lessons as `lesson_count`, counted in the same query (the list API, the admin)."""
        return self.annotate(lesson_count=Count("steps"))


class Program(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField("active", default=True)
    is_public = models.BooleanField(
        "public", default=False, help_text="Anyone may join free. Otherwise only buyers of a granting product."
    )
    send_hour = models.PositiveSmallIntegerField(
        "send at (local hour)",
        default=8,
        validators=[validate_send_hour],
        help_text="The hour new enrollments get their lessons, each in their own time zone (8 is 08:00).",
    )
    send_weekdays = models.JSONField(
        "send days", default=every_day, help_text="Days lessons may go out, 0 = Monday … 6 = Sunday."
    )
    granted_by = models.ManyToManyField(
        "shop.Product",
        verbose_name="products that grant it",
        blank=True,
        related_name="granted_programs",
        help_text="Buying any of these products enrolls the buyer.",
    )
    plans = models.ManyToManyField(
        "billing.Plan",
        verbose_name="membership plans that grant it",
        blank=True,
        related_name="granted_programs",
        help_text="Members of any of these plans get it while their membership gives access (trialing, active or "
        "past due); it stops where they are when the membership ends and continues from there if they rejoin.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgramQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def weekdays(self) -> frozenset[int]:
        days = frozenset(int(day) for day in (self.send_weekdays or []) if 0 <= int(day) <= 6)
        return days or frozenset(EVERY_DAY)


class Step(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="steps")
    day = models.PositiveSmallIntegerField(
        "order",
        help_text="The lesson's place in the program, counted in send days: 0 is the first lesson, 1 goes out on "
        "the next send day, and so on.",
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown: the exercises of the day.")
    video_url = models.URLField(blank=True)

    class Meta:
        ordering = ["program", "day"]
        constraints = [models.UniqueConstraint(fields=["program", "day"], name="step_one_per_program_day")]

    def __str__(self) -> str:
        return f"{self.program} · day {self.day}: {self.subject}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)  # post_save still sees the day and program as they were loaded
        self.saved_day, self.saved_program_id = self.day, self.program_id

    @classmethod
    def from_db(cls, db, field_names, values):
        step = super().from_db(db, field_names, values)
        step.saved_day = step.__dict__.get("day")  # so a save can tell whether the day moved
        step.saved_program_id = step.__dict__.get("program_id")  # … or the lesson went to another program
        return step


class EnrollmentQuerySet(models.QuerySet):
    def live(self) -> "EnrollmentQuerySet":
        """Not ended: waiting for the opt-in, running or paused."""
        return self.filter(status__in=LIVE_STATUSES)

    def running(self) -> "EnrollmentQuerySet":
        """Confirmed and not ended: the ones a lesson added to their program reaches."""
        return self.filter(status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED])


class Enrollment(models.Model):
    class Status(models.TextChoices):
        PENDING_CONFIRMATION = "pending_confirmation", "Pending confirmation"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        CANCELLED = "cancelled", "Cancelled"
        BOUNCED = "bounced", "Bounced"
        # A member's program whose membership no longer grants it: unsent lessons cancelled, progress kept;
        # it continues from the next unsent lesson when a membership grants it again (programs.memberships).
        STOPPED = "stopped", "Stopped (membership ended)"

    class Origin(models.TextChoices):
        ORDER = "order", "Order"
        SIGNUP = "signup", "Free signup"
        MEMBER = "member", "Membership"
        STAFF = "staff", "Staff"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrollments")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    order = models.ForeignKey(
        "shop.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="program_enrollments"
    )
    timezone = models.CharField(
        "time zone", max_length=64, default="UTC", validators=[validate_time_zone], help_text="e.g. Europe/Berlin"
    )
    send_hour = models.PositiveSmallIntegerField(
        "send at (local hour)",
        validators=[validate_send_hour],
        help_text="Lessons go out at this hour in the enrollment's time zone (19 is 19:00).",
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.ACTIVE)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    # The schedule's anchor: step `anchor_day` falls on `anchor_date` (or the next allowed weekday).
    anchor_date = models.DateField(
        "lessons start on",
        null=True,
        blank=True,
        help_text="The local date of the lesson below; the later ones follow on the program's send days.",
    )
    anchor_day = models.PositiveSmallIntegerField(
        "starting with lesson", default=0, help_text="Its order in the program (0 is the first lesson)."
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    welcomed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the welcome email went out (or the suppression list held it back); it goes once.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A paid order enrolls once per program, however often it is announced.
            models.UniqueConstraint(fields=["order", "program"], name="enrollment_once_per_order_program"),
            # A member gets each program once, whichever plans grant it and however often they leave and rejoin.
            models.UniqueConstraint(
                Upper("email"),
                "program",
                condition=Q(origin="member"),
                name="enrollment_once_per_member_program",
            ),
        ]
        # Lookups by address are case-insensitive (`email__iexact` is UPPER(email) = UPPER(…)).
        indexes = [
            models.Index(Upper("email"), name="enrollment_email_upper"),
            # New enrollments since a day (the admin dashboard, issue 15) and the admin's newest-first list.
            models.Index(fields=["created_at"], name="enrollment_created_at"),
        ]

    def __str__(self) -> str:
        return f"{self.email} in {self.program}"

    def get_absolute_url(self) -> str:
        return reverse("programs:manage", args=[self.token])

    @property
    def is_live(self) -> bool:
        """Not ended: waiting for the opt-in, running or paused."""
        return self.status in LIVE_STATUSES


LIVE_STATUSES = [Enrollment.Status.PENDING_CONFIRMATION, Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED]


class SignupConfirmationMail(models.Model):
    """A signup confirmation mailed (or being mailed) to an address, for the limit per address and program.

    Counted in the database, not a cache, so every web process sees the same count. Rows older
    than the limit's window are deleted by the next signup of the program.
    """

    # No index of its own: the (program, email, sent_at) index serves lookups by program.
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+", db_index=False)
    email = models.EmailField(help_text="Lower-cased, as the suppression list keeps it.")
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["program", "email", "sent_at"], name="signup_confirmation_by_address")]

    def __str__(self) -> str:
        return f"confirmation of {self.program_id} to {self.email} at {self.sent_at:%Y-%m-%d %H:%M}"


class DeliveryQuerySet(models.QuerySet):
    def open(self) -> "DeliveryQuerySet":
        """Not sent and not being sent: due later, or held while the enrollment is paused."""
        return self.filter(status__in=[Delivery.Status.SCHEDULED, Delivery.Status.HELD])

    def unfinished(self) -> "DeliveryQuerySet":
        """Still to go out: open, or claimed by a send in progress."""
        return self.filter(status__in=[Delivery.Status.SCHEDULED, Delivery.Status.HELD, Delivery.Status.SENDING])


class Delivery(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held (enrollment paused)"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"

    # No index of its own: the unique (enrollment, step) index serves lookups by enrollment,
    # and one index fewer is one write fewer for every claimed row.
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="deliveries")
    due_at = models.DateTimeField(
        "due at (UTC)", help_text="The instant of the enrollment's local send hour on the lesson's day."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Engagement (issue 15): each time is the earliest event seen, so duplicates and late
    # out-of-order events from the ESP never move it later.
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="The ESP reported the lesson delivered.")
    opened_at = models.DateTimeField(
        null=True, blank=True, help_text="First open (ESP event or our pixel); inflated by Apple Mail Privacy."
    )
    clicked_at = models.DateTimeField(
        null=True, blank=True, help_text="First click through a lesson link judged a person's."
    )
    click_count = models.PositiveIntegerField(
        default=0, help_text="Every click through our tracked links, a person's or a link scanner's."
    )
    scanner_clicked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="First click judged a link scanner's prefetch (a HEAD, or seconds after the send).",
    )
    bounced_at = models.DateTimeField(null=True, blank=True, help_text="The ESP reported a bounce.")
    complained_at = models.DateTimeField(null=True, blank=True, help_text="The recipient marked the lesson as spam.")
    unsubscribed_at = models.DateTimeField(
        null=True, blank=True, help_text="The recipient unsubscribed after this lesson (its last sent one)."
    )

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["enrollment", "step"], name="delivery_once_per_step")]
        indexes = [
            # The dispatch pass: only scheduled rows, oldest due first. Sent rows never bloat it.
            models.Index(fields=["due_at"], condition=Q(status="scheduled"), name="delivery_due_scheduled"),
            # The reaper: rows stuck in `sending`.
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="delivery_claimed_sending"),
            # ESP tracking events that carry no metadata find their delivery by the ESP's message id.
            models.Index(fields=["message_id"], condition=~Q(message_id=""), name="delivery_message_id"),
            # The program report (issue 15): a lesson's sent deliveries, by send time (the period filter), and
            # whose they are (the funnel's join) without visiting the table. Engagement columns stay out of
            # it, so recording an open or a click can still be a HOT update.
            models.Index(
                fields=["step", "sent_at"],
                include=["enrollment"],
                condition=Q(sent_at__isnull=False),
                name="delivery_sent_by_step",
            ),
            # The dashboard's lessons sent today, and the admin list filtered to them: the index above leads
            # with the step, so a day across all programs would scan the table (issue 15).
            models.Index(fields=["sent_at"], condition=Q(status="sent"), name="delivery_sent_at_sent"),
            # Failed lessons, newest failure first: the dashboard's count and work queue, the admin list's
            # filter. Every write of `updated_at` also changes an indexed column (status, due_at or
            # claimed_at), so indexing it costs no HOT update; the engagement events do not touch it.
            models.Index(fields=["updated_at"], condition=Q(status="failed"), name="delivery_failed_by_update"),
        ]

    def __str__(self) -> str:
        """Never a query: each side is named as far as it is loaded (admin delete pages list thousands)."""
        cached = self._meta.get_field
        lesson = (
            f"day {self.step.day}: {self.step.subject}" if cached("step").is_cached(self) else f"lesson #{self.step_id}"
        )
        to = self.enrollment.email if cached("enrollment").is_cached(self) else f"enrollment #{self.enrollment_id}"
        return f"{lesson} → {to}"
