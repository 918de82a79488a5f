"""The tracked link redirect and the open pixel (issue 15). No session, no cookie, one UPDATE each."""

import base64

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_safe

from programs import engagement, tracking

# A transparent 1×1 GIF.
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _uncached(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # each click and open must reach us, and no cache keeps the address
    response["Referrer-Policy"] = "no-referrer"  # the target learns nothing of the signed link
    return response


@require_safe
def follow_link(request, signed):
    """Count the click and send the reader on to the address signed into the link, and only there.

    A HEAD is a link scanner's check (a person's browser sends GET): counted, never as a person's click.
    A link whose delivery is gone still leads where it always did, recording nothing.
    """
    try:
        delivery_id, url = tracking.read_link(signed)
    except tracking.BadTrackingValue:
        raise Http404("not a tracked link") from None
    engagement.record_click(delivery_id=delivery_id, judged_scanner=request.method == "HEAD")
    return _uncached(HttpResponseRedirect(url))


@require_safe
def open_pixel(request, signed):
    """The lesson's HTML was displayed (or fetched by an image proxy): the first open's time."""
    try:
        delivery_id = tracking.read_pixel(signed)
    except tracking.BadTrackingValue:
        raise Http404("not a tracking pixel") from None
    if request.method == "GET":
        engagement.record_open(delivery_id=delivery_id)
    return _uncached(HttpResponse(PIXEL_GIF, content_type="image/gif"))
