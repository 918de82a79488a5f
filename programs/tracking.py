"""Tracked lesson links and the open pixel (issue 15): what goes into the mail, and reading it back.

A tracked link is `/l/<signed>/`, the signed value holding the delivery id and the target URL (no expiry: a lesson
is read months later). Only a value we signed is followed, and only to the http(s) address inside it, so the
redirect is never an open one. The pixel `/o/<signed>/` holds the delivery id under another salt.
"""

import html
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse

LINK_SALT = "programs.tracking.link"
PIXEL_SALT = "programs.tracking.pixel"
TRACKED_SCHEMES = {"http", "https"}

# core.markdown's output (nh3's serializer) quotes every attribute with " and escapes " and > inside values,
# so an <a …> tag ends at the first ">" and its href is the one quoted value.
_ANCHOR = re.compile(r"<a\s[^>]*>")
_HREF = re.compile(r'(\shref=")([^"]*)(")')


class BadTrackingValue(Exception):
    """Not a value we signed, or not an address we send people to."""


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in TRACKED_SCHEMES and bool(parts.hostname)


def _signer(salt: str) -> signing.Signer:
    return signing.Signer(salt=salt)


def sign_link(*, delivery_id: int, url: str) -> str:
    return _signer(LINK_SALT).sign_object([delivery_id, url], compress=True)


def read_link(signed: str) -> tuple[int, str]:
    """The (delivery id, target URL) signed into a tracked link; BadTrackingValue for anything else."""
    try:
        delivery_id, url = _signer(LINK_SALT).unsign_object(signed)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadTrackingValue from None
    if not isinstance(delivery_id, int) or not isinstance(url, str) or not is_web_url(url):
        raise BadTrackingValue
    return delivery_id, url


def sign_pixel(*, delivery_id: int) -> str:
    return _signer(PIXEL_SALT).sign_object(delivery_id)


def read_pixel(signed: str) -> int:
    try:
        delivery_id = _signer(PIXEL_SALT).unsign_object(signed)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadTrackingValue from None
    if not isinstance(delivery_id, int):
        raise BadTrackingValue
    return delivery_id


def tracked_url(*, delivery_id: int, url: str) -> str:
    """The address to put in the mail for `url`: a tracked one for a web address, anything else as it is."""
    if not is_web_url(url):
        return url
    signed = sign_link(delivery_id=delivery_id, url=url)
    return f"{settings.SITE_URL}{reverse('programs:follow_link', args=[signed])}"


def open_pixel_url(*, delivery_id: int) -> str:
    """The pixel's address, or "" when PROGRAMS_OPEN_PIXEL is off (no pixel in the mail)."""
    if not settings.PROGRAMS_OPEN_PIXEL:
        return ""
    return f"{settings.SITE_URL}{reverse('programs:open_pixel', args=[sign_pixel(delivery_id=delivery_id)])}"


def track_html_links(body_html: str, *, delivery_id: int) -> str:
    """Every http(s) link of a rendered lesson body goes through `/l/…/`; mailto: and relative links stay."""

    def track_href(match: re.Match) -> str:
        url = html.unescape(match.group(2))
        return f"{match.group(1)}{html.escape(tracked_url(delivery_id=delivery_id, url=url))}{match.group(3)}"

    return _ANCHOR.sub(lambda anchor: _HREF.sub(track_href, anchor.group(0), count=1), body_html)


def track_lesson(context: dict, *, delivery_id: int) -> dict:
    """A lesson's template context with its body links and video link tracked, and the pixel when it is on.

    Only the HTML part's links: the plain-text part shows the addresses themselves (readable, copyable).
    The manage and unsubscribe links are never tracked.
    """
    step = context["step"]
    return {
        **context,
        "body_html": track_html_links(context["body_html"], delivery_id=delivery_id),
        "video_url": tracked_url(delivery_id=delivery_id, url=step.video_url) if step.video_url else "",
        "open_pixel_url": open_pixel_url(delivery_id=delivery_id),
    }
