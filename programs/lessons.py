"""What a lesson email says and how it is addressed; rendered when it is sent."""

import functools
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from core.mail import MailKind, send_templated_email
from core.markdown import render_markdown
from programs.engagement import lesson_metadata
from programs.models import Delivery, Enrollment, Program, Step
from programs.plaintext import html_to_text
from programs.tracking import track_lesson

# Why someone gets a program's mail, by the enrollment's origin; the footer of every lesson says it.
# Keyed by the origin's value (Enrollment.Origin).
ORIGIN_REASONS = {
    "order": "because you bought a FoosFoot",
    "signup": "because you signed up",
    "member": "because you are a FoosFoot Coach member",
    "staff": "because our team signed you up",
}


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "hodhod.example"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def manage_url(enrollment: Enrollment) -> str:
    return absolute(reverse("programs:manage", args=[enrollment.token]))


def unsubscribe_url(enrollment: Enrollment) -> str:
    return absolute(reverse("programs:unsubscribe", args=[enrollment.token]))


def list_headers(*, program_slug: str, program_name: str, unsubscribe: str) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe (+ RFC 8058 one-click) and RFC 2919 List-Id."""
    targets = [f"<{unsubscribe}>"]
    mailto = getattr(settings, "PROGRAMS_UNSUBSCRIBE_MAILTO", "")
    if mailto:
        targets.append(f"<mailto:{mailto}?subject=unsubscribe>")
    safe_name = program_name.replace('"', "").replace("<", "").replace(">", "")
    return {
        "List-Unsubscribe": ", ".join(targets),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f'"{safe_name}" <{program_slug}.programs.{site_domain()}>',
    }


def origin_reason(origin: str) -> str:
    return ORIGIN_REASONS.get(origin, ORIGIN_REASONS["signup"])


def sample_origin(program: Program) -> str:
    """The origin a staff preview or test shows: a program granted by a product is mostly bought, one granted by a
    membership plan comes with the membership."""
    if program.granted_by.exists():
        return "order"
    return "member" if program.plans.exists() else "signup"


@functools.lru_cache(maxsize=256)
def rendered_body(markdown_source: str) -> tuple[str, str]:
    """A lesson body as sanitised HTML and plain text. Rendering is a pure function of the source, so a batch of
    sends renders each lesson once, not once per recipient (issue 16)."""
    body_html = render_markdown(markdown_source)
    return body_html, html_to_text(body_html)


def step_context(step: Step, *, manage: str, unsubscribe: str, origin: str, name: str = "") -> dict:
    body_html, body_text = rendered_body(step.body)
    return {
        "program": step.program,
        "step": step,
        "lesson_number": step.day + 1,
        "name": name,
        "body_html": body_html,
        "body_text": body_text,  # plain text, never the Markdown source (issue 11, item 9)
        "manage_url": manage,
        "unsubscribe_url": unsubscribe,
        "reason": origin_reason(origin),
    }


def send_lesson(delivery: Delivery, *, connection=None) -> str | None:
    """Send the delivery's lesson as it reads now; return the Message-ID (None: the address is suppressed).
    `connection`: an open mail connection a batch of sends shares (None: one of its own)."""
    enrollment, step = delivery.enrollment, delivery.step
    unsubscribe = unsubscribe_url(enrollment)
    return send_templated_email(
        to=enrollment.email,
        kind=MailKind.LESSON,
        subject=step.subject,
        template="programs/email/lesson",
        context=track_lesson(  # its links through /l/…/ (issue 15); a staff test send's stay as they are
            step_context(
                step,
                manage=manage_url(enrollment),
                unsubscribe=unsubscribe,
                origin=enrollment.origin,
                name=enrollment.name,
            ),
            delivery_id=delivery.pk,
        ),
        from_email=settings.PROGRAMS_FROM_EMAIL,
        headers=list_headers(program_slug=step.program.slug, program_name=step.program.name, unsubscribe=unsubscribe),
        metadata=lesson_metadata(delivery.pk),  # ESP tracking events name the delivery they are about
        connection=connection,
    )


def send_step_test(step: Step, *, to: str) -> str | None:
    """Staff preview in their own inbox; the links lead to a harmless page."""
    placeholder = absolute("/")
    return send_templated_email(
        to=to,
        kind=MailKind.STAFF_TEST,
        subject=f"[TEST] {step.subject}",
        template="programs/email/lesson",
        context=step_context(
            step, manage=placeholder, unsubscribe=placeholder, origin=sample_origin(step.program), name="(test)"
        ),
        from_email=settings.PROGRAMS_FROM_EMAIL,
        headers=list_headers(program_slug=step.program.slug, program_name=step.program.name, unsubscribe=placeholder),
    )
