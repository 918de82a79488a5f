"""The one function that sends email: multipart text + HTML from two templates."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string


def send_templated_email(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    connection=None,
) -> str:
    """Render `<template>.txt` and `<template>.html`, send both parts, return the Message-ID.

    Raises whatever the email backend raises (SMTP errors and the like): callers that
    retry decide what is transient.
    """
    context = {"SITE_URL": settings.SITE_URL, **context}
    text_body = render_to_string(f"{template}.txt", context)
    html_body = render_to_string(f"{template}.html", context)
    message_id = make_msgid(domain=settings.SITE_URL.split("://")[-1].split(":")[0].split("/")[0] or "hodhod")
    message = EmailMultiAlternatives(
        subject=subject,
        body=text_body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id, **(headers or {})},
        connection=connection or get_connection(),
    )
    message.attach_alternative(html_body, "text/html")
    message.send()
    return message_id
