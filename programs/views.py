"""Pages a lesson email links to; the enrollment's token is the only key (no login)."""

import contextlib
import math

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import ScopedRateThrottle

from core.redaction import mask_email
from programs import confirmations, enrollments, selectors, signups
from programs.forms import JoinForm, SendTimeForm
from programs.models import Enrollment


def _problem(request, status: int, heading: str, explanation: str):
    return render(request, "programs/problem.html", {"heading": heading, "explanation": explanation}, status=status)


def _unknown(request):
    return _problem(
        request,
        404,
        "This link does not work",
        "It may be incomplete or mistyped. Use the link in your latest lesson email, or write to us.",
    )


def _manage_page(request, enrollment: Enrollment, *, status: int = 200, **extra):
    sent, total = selectors.progress(enrollment)
    context = {
        "enrollment": enrollment,
        "zone": selectors.enrollment_zone(enrollment),  # every time on the page is on the customer's clock
        "masked_email": mask_email(enrollment.email),
        "sent": sent,
        "total": total,
        "next_delivery": selectors.next_delivery(enrollment),
        "rejoin_from": selectors.rejoin_offer(enrollment),
        "hours": range(24),
        "can_change_time": enrollment.is_live,
        "continues_with": selectors.first_unsent_day(enrollment)
        if enrollment.status == Enrollment.Status.STOPPED
        else None,
        **extra,
    }
    return render(request, "programs/manage.html", context, status=status)


@never_cache  # a secret link's page: no browser or shared cache keeps it (as the order pages, issue 10)
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request, token):
    enrollment = selectors.get_enrollment(token)
    if enrollment is None:
        return _unknown(request)
    if request.method != "POST":
        return _manage_page(request, enrollment)

    action = request.POST.get("action", "")
    try:
        if action == "pause":
            enrollment = enrollments.pause(enrollment=enrollment)
            notice = "Paused. Nothing more is sent until you resume."
        elif action == "resume":
            enrollment = enrollments.resume(enrollment=enrollment)
            notice = "Resumed: the next lesson follows at your send hour."
        elif action == "send_time":
            form = SendTimeForm(request.POST)
            if not form.is_valid():
                return _manage_page(request, enrollment, error=form.first_error(), status=400)
            enrollment = enrollments.change_send_time(
                enrollment=enrollment,
                send_hour=form.cleaned_data["send_hour"],
                timezone_name=form.cleaned_data["timezone"] or None,  # none given: keep the current zone
            )
            notice = f"Lessons now arrive at {enrollment.send_hour:02d}:00 ({enrollment.timezone})."
        elif action == "rejoin":
            enrollment = enrollments.rejoin(enrollment=enrollment)
            notice = f"Welcome back: the next lesson follows at {enrollment.send_hour:02d}:00 ({enrollment.timezone})."
        else:
            raise enrollments.EnrollmentStateError("unknown_action", "That is not something this page can do.")
    except enrollments.EnrollmentStateError as refusal:
        enrollment.refresh_from_db()
        return _manage_page(request, enrollment, error=refusal.message, status=400)
    return _manage_page(request, enrollment, notice=notice)


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie and no token
@never_cache  # a secret link's page
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """GET asks; POST unsubscribes at once and answers 200 (no redirect), also the second time."""
    enrollment = selectors.get_enrollment(token)
    if enrollment is None:
        return _unknown(request)
    if request.method == "POST":
        with contextlib.suppress(enrollments.EnrollmentStateError):  # already unsubscribed: same answer
            enrollment = enrollments.unsubscribe(enrollment=enrollment)
        enrollment.refresh_from_db()
        done = True
    else:
        done = enrollment.status == Enrollment.Status.UNSUBSCRIBED
    return render(
        request,
        "programs/unsubscribe.html",
        {"enrollment": enrollment, "masked_email": mask_email(enrollment.email), "done": done},
    )


@never_cache  # a secret link's page
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, signed):
    """The double opt-in link. GET shows a button (link scanners only GET); POST starts the program."""
    enrollment = confirmations.enrollment_from_signup_token(signed)
    if enrollment is None:
        return _problem(
            request,
            400,
            "This confirmation link does not work",
            "It may be incomplete or older than seven days. Sign up again to get a fresh one.",
        )
    if enrollment.status not in (Enrollment.Status.PENDING_CONFIRMATION, Enrollment.Status.ACTIVE):
        return _problem(
            request, 409, "Nothing to confirm", f"These lessons are {enrollment.get_status_display().lower()}."
        )
    if request.method == "POST":
        enrollment = signups.confirm_signup(enrollment=enrollment)
    done = enrollment.status == Enrollment.Status.ACTIVE
    return render(
        request,
        "programs/confirm.html",
        {"enrollment": enrollment, "masked_email": mask_email(enrollment.email), "done": done},
    )


class _SignupScope:
    """What DRF's ScopedRateThrottle reads from a view: the join page counts against the signup API's limit."""

    throttle_scope = "signup"


def _signup_wait(request) -> int | None:
    """None while the client may sign up; else the seconds until it may again (the API's "signup" rate)."""
    throttle = ScopedRateThrottle()
    if throttle.allow_request(request, _SignupScope()):
        return None
    return max(math.ceil(throttle.wait() or 60), 1)


@require_http_methods(["GET", "HEAD", "POST"])
def join(request, slug):
    """A free program's page: what it is, and its signup form (the API's double opt-in, its limits, its answer)."""
    program = selectors.joinable_program(slug)
    if program is None:
        return _problem(
            request,
            404,
            "There is no free program here",
            "It may have ended, or it comes with a FoosFoot rather than by signing up. The home page lists the free ones.",
        )
    form = JoinForm(request.POST if request.method == "POST" else None, initial={"send_hour": program.send_hour})
    context = {
        "program": program,
        "form": form,
        "length": selectors.length_label(program),
        "every_day": program.weekdays == frozenset(range(7)),
    }
    if request.method != "POST":
        return render(request, "programs/join.html", context)
    wait = _signup_wait(request)
    if wait is not None:
        minutes = math.ceil(wait / 60)
        response = _problem(
            request,
            429,
            "Too many signups from here",
            f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        )
        response["Retry-After"] = str(wait)
        return response
    if not form.is_valid():
        return render(request, "programs/join.html", context, status=400)
    signups.signup(
        program=program,
        email=form.cleaned_data["email"],
        name=form.cleaned_data["name"],
        timezone_name=form.cleaned_data["timezone"] or None,  # none: the site's, as the API does
        send_hour=form.cleaned_data["send_hour"],
    )
    # The same answer whether a link went out, was held back by the limits, or the address was enrolled already.
    return render(request, "programs/join_sent.html", {"program": program})
