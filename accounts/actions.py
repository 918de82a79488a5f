"""The account page's buttons: what the signed-in customer does to their programs and their mail, through the
programs' own services (the same ones the manage page and the API use)."""

from django.core.exceptions import ValidationError

from accounts.preferences import start_mail_again, stop_all
from core.errors import Refusal
from programs import enrollments
from programs.customer import enrollment_of
from programs.forms import SendTimeForm
from programs.models import Enrollment


def _program(email: str, data) -> Enrollment:
    enrollment = enrollment_of(email, data.get("enrollment"))
    if enrollment is None:
        raise Refusal("not_found", "That program is not one of yours (or it is gone).", 404)
    return enrollment


def _send_time(enrollment: Enrollment, data) -> str:
    form = SendTimeForm(data)
    if not form.is_valid():
        raise Refusal("invalid_send_time", form.first_error())
    enrollment = enrollments.change_send_time(
        enrollment=enrollment,
        send_hour=form.cleaned_data["send_hour"],
        timezone_name=form.cleaned_data["timezone"] or None,  # none given: keep the current zone
    )
    return f"{enrollment.program.name}: lessons now arrive at {enrollment.send_hour:02d}:00 ({enrollment.timezone})."


def act(*, email: str, data) -> str:
    """Do what the POST asks (`action`, and `enrollment` for a program's own buttons); the sentence that says
    what happened. Raises a Refusal (or Django's ValidationError) the page shows."""
    action = data.get("action", "")
    if action == "stop_all":
        stopped = stop_all(email)
        return (
            f"Everything is stopped: {stopped} program{'s' if stopped != 1 else ''} unsubscribed, no news, no "
            "reminders. We still email you about your orders and membership, and the sign-in links you ask for."
        )
    if action == "mail_again":
        start_mail_again(email)
        return "Mail is on again. Take up a program below, or tick the emails you want under Email preferences."
    enrollment = _program(email, data)
    name = enrollment.program.name
    if action == "pause":
        enrollments.pause(enrollment=enrollment)
        return f"{name} is paused. Nothing more is sent until you resume."
    if action == "resume":
        enrollments.resume(enrollment=enrollment)
        return f"{name} resumed: the next lesson follows at your send hour."
    if action == "rejoin":
        enrollments.rejoin(enrollment=enrollment)
        return f"Welcome back to {name}: the next lesson follows at your send hour."
    if action == "unsubscribe":
        enrollments.unsubscribe(enrollment=enrollment)
        return f"You are unsubscribed from {name}."
    if action == "send_time":
        return _send_time(enrollment, data)
    raise Refusal("unknown_action", "That is not something this page can do.")


def refusal_message(error: Exception) -> str:
    """The sentence for a refused button: a Refusal's own, or a validator's first."""
    if isinstance(error, ValidationError):
        return error.messages[0]
    return str(error)
