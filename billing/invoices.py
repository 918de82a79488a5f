"""A subscription's invoices as Stripe reports them, kept locally (amounts, status, period, payment).

At the pinned API version an invoice names its subscription under `parent.subscription_details.subscription`
(there is no `invoice.subscription`), and its payments are InvoicePayments, each naming its PaymentIntent
(there is no `invoice.payment_intent`).
"""

from decimal import Decimal

from billing.history import record_subscription_event
from billing.models import REFERENCE_METADATA_KEY, Invoice, Subscription, from_timestamp
from payments.client import id_of
from payments.money import from_minor_units


def _subscription_details(invoice: dict) -> dict:
    parent = invoice.get("parent") if isinstance(invoice.get("parent"), dict) else {}
    details = parent.get("subscription_details")
    return details if isinstance(details, dict) else {}


def subscription_id_of(invoice: dict) -> str:
    """The Stripe subscription an invoice (or an invoice preview) bills, or ""."""
    return id_of(_subscription_details(invoice).get("subscription"))


def reference_of(invoice: dict) -> str:
    """Our subscription's reference, from the subscription's metadata the invoice carries, or ""."""
    metadata = _subscription_details(invoice).get("metadata")
    value = metadata.get(REFERENCE_METADATA_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else ""


def money(amount, currency: str) -> Decimal:
    """Stripe's minor units as Decimal (0 for a missing amount)."""
    return from_minor_units(amount if isinstance(amount, int) and not isinstance(amount, bool) else 0, currency)


def _service_period(invoice: dict) -> tuple:
    """The period the invoice pays for: its lines' (a renewal invoice's own `period_*` is the period past)."""
    lines = ((invoice.get("lines") or {}).get("data")) or []
    periods = [line.get("period") for line in lines if isinstance(line, dict) and isinstance(line.get("period"), dict)]
    starts = [p["start"] for p in periods if isinstance(p.get("start"), int)]
    ends = [p["end"] for p in periods if isinstance(p.get("end"), int)]
    if starts and ends:
        return from_timestamp(min(starts)), from_timestamp(max(ends))
    return from_timestamp(invoice.get("period_start")), from_timestamp(invoice.get("period_end"))


def paid_payment_intent(payments: list) -> str:
    """The PaymentIntent of an invoice's paid InvoicePayment, or ""."""
    for payment in payments:
        if isinstance(payment, dict) and payment.get("status") == "paid":
            return id_of((payment.get("payment") or {}).get("payment_intent"))
    return ""


def record_invoice(*, subscription: Subscription, invoice: dict) -> Invoice:
    """Store (or update) the invoice as Stripe reports it; `invoice` retrieved with `expand=["payments"]`.
    Call with the subscription locked (`billing.lifecycle.lock_member`): one row per invoice."""
    currency = str(invoice.get("currency") or subscription.currency).lower()
    start, end = _service_period(invoice)
    transitions = invoice.get("status_transitions") if isinstance(invoice.get("status_transitions"), dict) else {}
    fields = {
        "subscription": subscription,
        "number": str(invoice.get("number") or "")[:100],
        "status": str(invoice.get("status") or "")[:20],
        "billing_reason": str(invoice.get("billing_reason") or "")[:50],
        "amount_due": money(invoice.get("amount_due"), currency),
        "amount_paid": money(invoice.get("amount_paid"), currency),
        "currency": currency.upper(),
        "period_start": start,
        "period_end": end,
        "paid_at": from_timestamp(transitions.get("paid_at")),
        "hosted_invoice_url": str(invoice.get("hosted_invoice_url") or "")[:2000],
        "created_at": from_timestamp(invoice.get("created")) or subscription.created_at,
    }
    payment_intent = paid_payment_intent(((invoice.get("payments") or {}).get("data")) or [])
    if payment_intent:
        fields["payment_intent_id"] = payment_intent
    row, _ = Invoice.objects.update_or_create(stripe_invoice_id=invoice["id"], defaults=fields)
    return row


def apply_charge_refunded(*, invoice: Invoice, charge: dict, actor: str) -> None:
    """A refund Stripe reports (ours, or made in its dashboard) on an invoice's payment: its refunded amount.
    Call with the invoice locked."""
    currency = str(charge.get("currency") or invoice.currency)
    refunded = money(charge.get("amount_refunded"), currency)
    if refunded <= invoice.amount_refunded:
        return
    invoice.amount_refunded = refunded
    invoice.save(update_fields=["amount_refunded", "updated_at"])
    record_subscription_event(
        subscription=invoice.subscription,
        kind="refund",
        actor=actor,
        message=f"Stripe reports {refunded} {invoice.currency} of invoice {invoice} refunded.",
    )
