"""The membership pages: `/membership/` (plans; POST starts Stripe Checkout), `/membership/success/`, and
`/account/billing/` (POST: to Stripe's customer portal).

Server-rendered, CSRF-protected forms. `/account/billing/` knows the membership from a signed link in a
membership email (`?link=`), its token (`?subscription=` or the form field), the customer signed in to their
account (the accounts app tells us who, through `billing.customer.register_signed_in_customer`), or the browser
session that joined. GET shows a button; only the POST opens the portal (a mail scanner that follows a link
opens nothing); the portal leads a signed-in customer back to their account.
"""

import logging
import re
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from billing.converters import SubscriptionTokenConverter
from billing.customer import current_membership, signed_in_customer
from billing.errors import MembershipError
from billing.forms import JoinForm, PortalForm
from billing.join import start_membership
from billing.limits import client_hash, may_ask_stripe
from billing.links import subscription_for_link
from billing.models import Subscription
from billing.portal import open_portal
from billing.selectors import plans_on_offer, subscription_for_session, subscription_for_token
from billing.sync import settle_checkout

logger = logging.getLogger(__name__)
SESSION_KEY = "billing_subscription"  # the token of the membership this browser joined
EMAIL_SESSION_KEY = "billing_join_email"
SESSION_ID_PATTERN = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")
CONFIRMING_REFRESH_SECONDS = 3


def _allow_form_action_to_stripe(response: HttpResponse) -> HttpResponse:
    """A form whose POST ends in a redirect to Stripe's hosted pages is governed by CSP's form-action: allow
    the local emulator too when STRIPE_API_BASE points at it (Stripe's own hosts are in the settings)."""
    if settings.STRIPE_API_BASE:
        parts = urlsplit(settings.STRIPE_API_BASE)
        response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
    return response


def _see_other(location: str) -> HttpResponse:
    response = HttpResponse(status=303)  # the browser follows with a GET to Stripe's page
    response["Location"] = location
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def membership(request: HttpRequest) -> HttpResponse:
    plans = list(plans_on_offer())
    initial = {"email": request.session.get(EMAIL_SESSION_KEY, ""), "plan": plans[0].slug if plans else None}
    form = JoinForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        request.session[EMAIL_SESSION_KEY] = email
        try:
            result = start_membership(plan=form.cleaned_data["plan"], email=email, client=client_hash(request))
        except MembershipError as error:
            form.add_error("email" if error.code == "invalid_email" else None, error.message)
            status = error.status_code if error.status_code in (409, 429, 503) else 200
        else:
            request.session[SESSION_KEY] = result.subscription.token
            return _see_other(result.checkout_url)
    response = render(request, "billing/membership.html", {"plans": plans, "form": form}, status=status)
    return _allow_form_action_to_stripe(response)


def _subscription_for_success_page(request: HttpRequest, session_id: str) -> Subscription | None:
    """The membership of this checkout as we know it; Stripe is asked only while it has not started, at most
    BILLING_STRIPE_CALLS_PER_CLIENT_PER_MINUTE times a minute per client (an unknown session costs no call)."""
    subscription = subscription_for_session(session_id)
    if subscription is None or subscription.status != Subscription.Status.INCOMPLETE or not may_ask_stripe(request):
        return subscription
    try:
        settle_checkout(subscription=subscription, actor="success_page")
    except stripe.StripeError:
        logger.warning("membership success page could not retrieve its checkout session", exc_info=True)
    return subscription_for_session(session_id)


@never_cache  # a secret link's page: no browser or shared cache keeps it
@require_safe
def membership_success(request: HttpRequest) -> HttpResponse:
    session_id = request.GET.get("session_id", "")
    subscription = _subscription_for_success_page(request, session_id) if SESSION_ID_PATTERN.match(session_id) else None
    if subscription is None:
        return render(request, "billing/membership_unknown.html", status=404)
    request.session[SESSION_KEY] = subscription.token
    confirming = subscription.status == Subscription.Status.INCOMPLETE
    context = {"subscription": subscription, "confirming": confirming, "refresh_seconds": CONFIRMING_REFRESH_SECONDS}
    return _allow_form_action_to_stripe(render(request, "billing/membership_success.html", context))


def _subscription_named(request: HttpRequest, data) -> Subscription | None:
    link, token = data.get("link") or "", data.get("subscription") or ""
    if link:
        return subscription_for_link(link)
    if not token:
        email = signed_in_customer(request)
        membership = current_membership(email) if email else None
        if membership is not None:
            return membership
        token = request.session.get(SESSION_KEY, "")
    if isinstance(token, str) and re.fullmatch(SubscriptionTokenConverter.regex, token):
        return subscription_for_token(token)
    return None


def _portal_return_url(request: HttpRequest) -> str | None:
    """Where the portal's "return" leads: the customer's account when they are signed in, else the plans."""
    return f"{settings.SITE_URL}/account/" if signed_in_customer(request) else None


@never_cache  # a secret link's page
@require_http_methods(["GET", "HEAD", "POST"])
def account_billing(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    form = PortalForm(source)
    form.is_valid()
    subscription = _subscription_named(request, form.cleaned_data)
    named = bool(source.get("link") or source.get("subscription"))
    error, status = "", 200
    if subscription is None and (named or request.method == "POST"):
        error, status = "This link is not valid any more. Use the newest email about your membership.", 404
    elif subscription is not None and request.method == "POST":
        if not may_ask_stripe(request):
            error, status = "Too many requests from your connection; try again in a minute.", 429
        else:
            try:
                return _see_other(open_portal(subscription=subscription, return_url=_portal_return_url(request)))
            except MembershipError as refusal:
                error, status = refusal.message, refusal.status_code
    context = {"subscription": subscription, "form": PortalForm(initial=form.cleaned_data), "error": error}
    return _allow_form_action_to_stripe(render(request, "billing/account_billing.html", context, status=status))
