"""The storefront's pages: home, product, cart, checkout and its return pages, order status.

Server-rendered, CSRF-protected forms; nothing needs JavaScript to buy. Views stay thin:
parse a form, call one cart or shop service, answer. Every refusal a service raises
(`CartError`, `CheckoutError`) becomes a message next to the field it concerns.
"""

import logging
import re
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from shop.carts import (
    SESSION_KEY,
    CartError,
    add_to_cart,
    cart_currency,
    cart_item_count,
    cart_total,
    get_cart_for_session,
    remove_line,
    set_line_quantity,
)
from shop.checkout import start_checkout
from shop.converters import TokenConverter
from shop.display import tracking_url
from shop.forms import CartLineForm, CheckoutForm
from shop.fulfilment import fulfil_checkout_session
from shop.hooks import extras_for_order
from shop.limits import client_hash, limit, take_hit
from shop.models import Cart, Order, Refund
from shop.orders import CheckoutError, OrderError
from shop.page_cache import remember_cart_count
from shop.selectors import cart_line, order_for_session_id, order_page_for_token
from shop.shipping import country_name, offered_rates, shipping_countries
from shop.staff import cancel_order
from shop.storefront import product_detail  # noqa: F401 - shop.urls routes the product page here

logger = logging.getLogger(__name__)

CHECKOUT_EMAIL_SESSION_KEY = "shop_checkout_email"
COUNTRY_SESSION_KEY = "shop_ship_to"
SESSION_ID_PATTERN = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")
CONFIRMING_REFRESH_SECONDS = 3
LIMIT_CODES = ("too_many_checkouts", "too_many_reserved")  # answered with their own status (429, 409)


def _ship_to(request: HttpRequest) -> str:
    """The country the cart ships to: the one last chosen, while the shop still ships there."""
    chosen = request.session.get(COUNTRY_SESSION_KEY)
    return chosen if chosen in shipping_countries() else shipping_countries()[0]


def _cart_context(request: HttpRequest, cart: Cart | None) -> dict:
    remember_cart_count(request, cart)  # the badge cached pages show (shop.page_cache)
    lines = list(cart.lines.all()) if cart else []
    total, currency, country = (cart_total(cart), cart_currency(cart), _ship_to(request)) if cart else (None, None, "")
    return {
        "cart": cart,
        "lines": lines,
        "total": total,
        "currency": currency,
        "cart_item_count": cart_item_count(cart) if cart else 0,
        "ship_to": country,
        "ship_to_name": country_name(country),
        # What checkout will offer there (shop.shipping): one query, the rates of every country being few.
        "shipping_rates": offered_rates(country=country, currency=currency, subtotal=total) if lines else [],
    }


def _allow_form_action_to_stripe(response: HttpResponse) -> HttpResponse:
    """The checkout form's POST ends in a redirect to Stripe's hosted page, which CSP's form-action
    also governs: allow the configured Stripe host (the local emulator, when STRIPE_API_BASE is set)."""
    if settings.STRIPE_API_BASE:
        parts = urlsplit(settings.STRIPE_API_BASE)
        response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def cart(request: HttpRequest) -> HttpResponse:
    cart = get_cart_for_session(request)
    line_errors: dict[int, str] = {}
    if request.method == "POST" and request.POST.get("action") == "shipping":
        return _choose_country(request)
    if request.method == "POST":
        form = CartLineForm(request.POST)
        form.is_valid()
        line_id = form.cleaned_data.get("line")
        line = None
        if cart is not None and line_id is not None:
            line = cart_line(cart, line_id)
        if line is None:
            messages.error(request, "That item is no longer in your cart.")
            return redirect("shop:cart")
        if not form.is_valid():
            line_errors[line.pk] = " ".join(form.errors.get("quantity", form.errors.get("action", ["Try again."])))
        else:
            try:
                if form.cleaned_data["action"] == "remove":
                    remove_line(line=line)
                    messages.success(request, f"Removed {line.product.name} from your cart.")
                else:
                    set_line_quantity(line=line, quantity=form.cleaned_data["quantity"])
                    messages.success(request, f"Updated {line.product.name}: {line.quantity} in your cart.")
                return redirect("shop:cart")
            except CartError as error:
                line_errors[line.pk] = error.message
        cart = get_cart_for_session(request)  # fresh lines for the page
    initial = {"email": request.session.get(CHECKOUT_EMAIL_SESSION_KEY, ""), "country": _ship_to(request)}
    return _render_cart(request, cart, CheckoutForm(initial=initial), line_errors)


def _remember_country(request: HttpRequest, form: CheckoutForm) -> None:
    form.is_valid()
    if form.cleaned_data.get("country"):
        request.session[COUNTRY_SESSION_KEY] = form.cleaned_data["country"]


def _choose_country(request: HttpRequest) -> HttpResponse:
    """The cart's "Show shipping costs" button (no JavaScript needed): keep the country (and the email typed)
    and show the cart again with that country's rates."""
    form = CheckoutForm(request.POST)
    _remember_country(request, form)
    if form.cleaned_data.get("email"):
        request.session[CHECKOUT_EMAIL_SESSION_KEY] = form.cleaned_data["email"]
    return redirect("shop:cart")


def _render_cart(request, cart, checkout_form, line_errors=None, status=200) -> HttpResponse:
    context = _cart_context(request, cart)
    context.update(checkout_form=checkout_form, line_errors=line_errors or {})
    for line in context["lines"]:
        line.error = context["line_errors"].get(line.pk, "")
    return _allow_form_action_to_stripe(render(request, "shop/cart.html", context, status=status))


def _refused_checkout(request: HttpRequest, form: CheckoutForm, error: CheckoutError | CartError) -> HttpResponse:
    """The cart page again, the refusal next to the form it concerns."""
    if error.code in ("invalid_email", "unsupported_country"):
        form.add_error("email" if error.code == "invalid_email" else "country", error.message)
    elif error.code in LIMIT_CODES:
        form.add_error(None, error.message)
    else:
        messages.error(request, error.message)
    status = error.status_code if error.code in LIMIT_CODES else 200
    response = _render_cart(request, get_cart_for_session(request), form, status=status)
    if getattr(error, "wait", 0):
        response["Retry-After"] = str(error.wait)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("shop:cart")  # a bookmarked or reloaded /checkout/: the form lives on the cart
    cart = get_cart_for_session(request)
    form = CheckoutForm(request.POST)
    if cart is None or not cart.lines.all():
        messages.error(request, "Your cart is empty: add a product before checking out.")
        return redirect("shop:cart")
    _remember_country(request, form)
    if not form.is_valid():
        return _render_cart(request, cart, form)
    email = form.cleaned_data["email"]
    request.session[CHECKOUT_EMAIL_SESSION_KEY] = email
    try:
        # Stripe sends the customer back to SITE_URL's /checkout/success/ or /checkout/cancel/.
        country = form.cleaned_data["country"] or None
        result = start_checkout(cart=cart, email=email, client=client_hash(request), country=country)
    except (CheckoutError, CartError) as error:
        return _refused_checkout(request, form, error)
    remember_cart_count(request, None)  # checked out: the badge shows no cart
    # 303: the browser follows with a GET to Stripe's hosted payment page.
    response = HttpResponse(status=303)
    response["Location"] = result.checkout_url
    return response


def _order_for_success_page(request: HttpRequest, session_id: str) -> Order | None:
    """The order of this session as we know it. Stripe is asked only about an order still unpaid, and at
    most SHOP_SUCCESS_LOOKUPS_PER_CLIENT_PER_MINUTE times a minute per client: an unknown or foreign session
    id costs no Stripe call (issue 10, item 3), and past the limit the page shows what the webhook told us."""
    order = order_for_session_id(session_id)
    if order is None or order.status != Order.Status.PENDING_PAYMENT:
        return order
    allowed = limit("SHOP_SUCCESS_LOOKUPS_PER_CLIENT_PER_MINUTE")
    if take_hit("success_lookup", client_hash(request), allowed=allowed, per_seconds=60):
        return order
    try:
        fulfil_checkout_session(session_id=session_id, source="success_page")
    except stripe.StripeError:
        # Stripe is unreachable: show what we know, and look again shortly.
        logger.warning("success page could not retrieve checkout session", exc_info=True)
        return order
    return Order.objects.for_display().get(pk=order.pk)


@never_cache  # a secret link's page: no browser or shared cache keeps it (issue 10)
@require_safe
def checkout_success(request: HttpRequest) -> HttpResponse:
    session_id = request.GET.get("session_id", "")
    order = _order_for_success_page(request, session_id) if SESSION_ID_PATTERN.match(session_id) else None
    if order is None:
        return render(request, "shop/checkout_unknown.html", status=404)
    confirming = order.status == Order.Status.PENDING_PAYMENT
    awaiting_delayed = confirming and order.events.filter(kind="awaiting_payment").exists()
    return render(
        request,
        "shop/checkout_success.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "confirming": confirming,
            "awaiting_delayed": awaiting_delayed,
            "refresh_seconds": CONFIRMING_REFRESH_SECONDS if not awaiting_delayed else 30,
            "order_extras": extras_for_order(order),  # what other apps add (shop.hooks): the exercise program
        },
    )


@never_cache  # a secret link's page: no browser or shared cache keeps it (issue 10)
@require_safe
def checkout_cancel(request: HttpRequest) -> HttpResponse:
    """Back from Stripe without paying: cancel that order (its stock goes back) and give the
    browser its cart again, as it was, so the customer can change it or try again."""
    token = request.GET.get("order", "")
    if not re.fullmatch(TokenConverter.regex, token):
        token = ""  # not one of our tokens (PostgreSQL would refuse a NUL byte): nothing to cancel
    session_cart_id = request.session.get(SESSION_KEY)
    checked_out = (
        Cart.objects.filter(pk=session_cart_id, order__token=token).select_related("order").first()
        if token and session_cart_id
        else None
    )
    if checked_out is not None and checked_out.order.status != Order.Status.PENDING_PAYMENT:
        # Paid after all (the back button from Stripe's page, or paid in another tab), or already cancelled:
        # the order page says what happened, not "nothing was charged".
        return redirect(checked_out.order.get_absolute_url())
    if checked_out is not None:
        order = checked_out.order
        lines = [(line.product, line.quantity) for line in checked_out.lines.select_related("product")]
        try:
            cancel_order(order=order, reason="The customer left the payment page without paying.")
        except (OrderError, stripe.StripeError):
            # Paid meanwhile (or Stripe unreachable): the order page tells the truth.
            return redirect(order.get_absolute_url())
        restored = get_cart_for_session(request, create=True)
        for product, quantity in lines:
            try:
                add_to_cart(cart=restored, product=product, quantity=quantity)
            except CartError as error:
                messages.warning(request, error.message)
    cart = get_cart_for_session(request)
    return render(request, "shop/checkout_cancel.html", _cart_context(request, cart))


@never_cache  # a secret link's page: no browser or shared cache keeps it (issue 10)
@require_safe
def order_status(request: HttpRequest, token: str) -> HttpResponse:
    order = order_page_for_token(token)
    if order is None:
        return render(request, "404.html", status=404)  # rendered here, so never_cache covers it too
    events = list(order.events.all())
    history = [event for event in events if event.to_status]
    status_labels = dict(Order.Status.choices)
    for event in history:
        event.status_label = status_labels.get(event.to_status, event.to_status)
    return render(
        request,
        "shop/order.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "history": history,
            "refunds": [refund for refund in order.refunds.all() if refund.status in Refund.COUNTED_STATUSES],
            "amount_refunded": order.amount_refunded,  # from the prefetched refunds: no query
            "contact": _order_contact_state(order, events),
            "tracking_url": tracking_url(order.carrier, order.tracking_number)
            if order.status == Order.Status.SHIPPED or order.shipped_at
            else "",
            "shipped": bool(order.shipped_at),
        },
    )


def _order_contact_state(order: Order, events: list) -> str:
    """What the page may say about writing to us (issue 11, item 9): there is a confirmation email to
    reply to only once the order is paid; before that, or when it never was, we say what comes next."""
    if order.status == Order.Status.PENDING_PAYMENT:
        return "delayed" if any(event.kind == "awaiting_payment" for event in events) else "confirming"
    return "cancelled" if order.status == Order.Status.CANCELLED else "paid"
