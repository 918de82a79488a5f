"""Pages a lesson email links to; the enrollment's token is the only key (no login)."""

import contextlib

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.redaction import mask_email
from programs import schedule, selectors, services
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


def _manage_context(enrollment: Enrollment, **extra) -> dict:
    sent, total = selectors.progress(enrollment)
    upcoming = selectors.next_delivery(enrollment)
    return {
        "enrollment": enrollment,
        "masked_email": mask_email(enrollment.email),
        "sent": sent,
        "total": total,
        "next_delivery": upcoming,
        "next_local": selectors.local_time(enrollment, upcoming.due_at) if upcoming else None,
        "hours": range(24),
        "can_change_time": enrollment.status in services.LIVE,
        **extra,
    }


def _parse_hour(value: str) -> int | None:
    value = (value or "").strip()
    if not value.isdigit() or len(value) > 2:
        return None
    hour = int(value)
    return hour if 0 <= hour <= 23 else None


@require_http_methods(["GET", "HEAD", "POST"])
def manage(request, token):
    enrollment = selectors.get_enrollment(token)
    if enrollment is None:
        return _unknown(request)
    if request.method != "POST":
        return render(request, "programs/manage.html", _manage_context(enrollment))

    action = request.POST.get("action", "")
    try:
        if action == "pause":
            enrollment = services.pause(enrollment=enrollment)
            notice = "Paused. Nothing more is sent until you resume."
        elif action == "resume":
            enrollment = services.resume(enrollment=enrollment)
            notice = "Resumed: the next lesson follows at your send hour."
        elif action == "send_time":
            hour = _parse_hour(request.POST.get("send_hour", ""))
            zone = (request.POST.get("timezone") or enrollment.timezone).strip()
            if hour is None:
                raise services.EnrollmentStateError("invalid_send_hour", "Choose an hour from 0 to 23.")
            if not schedule.is_valid_timezone(zone):
                raise services.EnrollmentStateError(
                    "invalid_timezone", "We do not know that time zone; use a name like Europe/Berlin."
                )
            enrollment = services.change_send_time(enrollment=enrollment, send_hour=hour, timezone_name=zone)
            notice = f"Lessons now arrive at {hour:02d}:00 ({zone})."
        else:
            raise services.EnrollmentStateError("unknown_action", "That is not something this page can do.")
    except services.EnrollmentStateError as refusal:
        enrollment.refresh_from_db()
        return render(request, "programs/manage.html", _manage_context(enrollment, error=refusal.message), status=400)
    return render(request, "programs/manage.html", _manage_context(enrollment, notice=notice))


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie and no token
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """GET asks; POST unsubscribes at once and answers 200 (no redirect), also the second time."""
    enrollment = selectors.get_enrollment(token)
    if enrollment is None:
        return _unknown(request)
    if request.method == "POST":
        with contextlib.suppress(services.EnrollmentStateError):  # already unsubscribed: same answer
            enrollment = services.unsubscribe(enrollment=enrollment)
        enrollment.refresh_from_db()
        done = True
    else:
        done = enrollment.status == Enrollment.Status.UNSUBSCRIBED
    return render(
        request,
        "programs/unsubscribe.html",
        {"enrollment": enrollment, "masked_email": mask_email(enrollment.email), "done": done},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, signed):
    """The double opt-in link. GET shows a button (link scanners only GET); POST starts the program."""
    enrollment = services.enrollment_from_signup_token(signed)
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
        enrollment = services.confirm_signup(enrollment=enrollment)
    done = enrollment.status == Enrollment.Status.ACTIVE
    return render(
        request,
        "programs/confirm.html",
        {"enrollment": enrollment, "masked_email": mask_email(enrollment.email), "done": done},
    )
