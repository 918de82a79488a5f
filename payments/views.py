"""`POST /stripe/webhook/`: Stripe's signed events, verified, stored once and applied once.

By default (`STRIPE_WEBHOOK_APPLY=worker`) the request stores the event and a Celery worker applies it: Stripe
is answered after one INSERT, whatever the event's effects cost (emails, enrollments). If the broker cannot
take the task, the request applies the event itself; an event whose task was lost is applied by
reconciliation. `STRIPE_WEBHOOK_APPLY=request` applies every event in the request (no worker needed).
"""

import logging

import stripe
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.redaction import loggable
from payments.events import apply_stored_event, process_stripe_event, store_stripe_event, verify_stripe_event
from payments.tasks import apply_stripe_event

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 512 * 1024  # Stripe events are a few kB; refuse anything absurd before parsing


@csrf_exempt  # Stripe cannot send a CSRF token; the signature is the authentication
@require_POST
def stripe_webhook(request):
    sig_header = request.headers.get("Stripe-Signature", "")
    if not sig_header:
        return JsonResponse(
            {"code": "missing_signature", "message": "The Stripe-Signature header is missing."}, status=400
        )
    if len(request.body) > MAX_BODY_BYTES:
        return JsonResponse({"code": "payload_too_large", "message": "The event body is too large."}, status=400)
    try:
        event = verify_stripe_event(payload=request.body, sig_header=sig_header)
    except stripe.SignatureVerificationError:
        logger.warning("Stripe webhook with a bad or stale signature refused")
        return JsonResponse(
            {"code": "invalid_signature", "message": "The signature does not match or is too old."}, status=400
        )
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"code": "malformed_event", "message": "The body is not a Stripe event."}, status=400)
    try:
        if settings.STRIPE_WEBHOOK_APPLY == "worker":
            outcome = _apply_in_worker(event)
        else:
            outcome = process_stripe_event(event=event)
    except Exception:
        # Recorded as failed (see payments.events); a non-2xx makes Stripe deliver it again.
        return JsonResponse({"code": "processing_failed", "message": "The event could not be applied yet."}, status=500)
    return JsonResponse({"received": True, "outcome": outcome})


def _apply_in_worker(event: dict) -> str:
    if not store_stripe_event(event=event):
        return "duplicate"
    try:
        apply_stripe_event.delay(event["id"])
    except Exception as exc:  # the broker is down: apply it here rather than wait for reconciliation
        logger.error("could not queue Stripe event %s (%s); applying it in the request", event["id"], loggable(exc))
        return apply_stored_event(event_id=event["id"])
    return "queued"
