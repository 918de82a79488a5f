"""The customer's account pages (README, "Your account"). Server-rendered, CSRF-protected forms; every page is
private (`Cache-Control: private, no-store`, noindex). Views stay thin: the work is in the accounts modules and
the apps' services."""

import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import sessions
from accounts.actions import act, refusal_message
from accounts.erasure import erase_customer, erasure_blocker
from accounts.export import export_data
from accounts.forms import EraseForm, PreferencesForm, SignInForm
from accounts.links import LinkState, link_state, redeem_link, request_sign_in_link
from accounts.overview import account_overview, mail_stop
from accounts.preferences import TOPICS, preferences_of, save_preferences
from core.errors import Refusal
from core.ratelimits import client_address

logger = logging.getLogger(__name__)
ACCOUNT_URL = "/account/"
LINK_PROBLEMS = {
    LinkState.USED: (410, "This sign-in link has been used", "Each link signs in once. Ask for a new one below."),
    LinkState.EXPIRED: (410, "This sign-in link has expired", "Links work for a short while. Ask for a new one below."),
    LinkState.UNKNOWN: (404, "This sign-in link does not work", "It may be incomplete. Ask for a new one below."),
}


def _see_other(location: str) -> HttpResponse:
    return HttpResponseRedirect(location, status=303)


def _allow_form_action_to_stripe(response: HttpResponse) -> HttpResponse:
    """The account's "Manage billing" POSTs to /account/billing/, which redirects to Stripe's portal: CSP's
    form-action covers that redirect. Stripe's hosts are in the settings; the local emulator is added here."""
    if settings.STRIPE_API_BASE:
        parts = urlsplit(settings.STRIPE_API_BASE)
        response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
    return response


def _sign_in_page(request: HttpRequest, *, form: SignInForm | None = None, status: int = 200, **extra) -> HttpResponse:
    context = {"form": form or SignInForm(), **extra}
    return render(request, "accounts/sign_in.html", context, status=status)


def _ask_for_link(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST)
    if not form.is_valid():
        return _sign_in_page(request, form=form, status=400)
    # The same answer whatever the address, and whether a link went out or a limit held it back.
    request_sign_in_link(email=form.cleaned_data["email"], client=client_address(request))
    return render(request, "accounts/sign_in_sent.html", {"email": form.cleaned_data["email"]})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """Signed out: the sign-in form (POST mails a link). Signed in: the account, whose buttons POST here."""
    email = sessions.signed_in_email(request)
    if email is None:
        if request.method == "POST" and request.POST.get("action", "sign_in") == "sign_in":
            return _ask_for_link(request)
        if request.method == "POST":  # a button of an account whose session has ended
            return _sign_in_page(request, status=403, notice="You are signed out; sign in again to do that.")
        return _sign_in_page(request)
    if request.method == "POST":
        try:
            messages.success(request, act(email=email, data=request.POST))
        except (Refusal, ValidationError) as error:
            messages.error(request, refusal_message(error))
        return _see_other(ACCOUNT_URL)
    return _allow_form_action_to_stripe(render(request, "accounts/account.html", account_overview(email)))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the mail. GET shows a button (a mail scanner following the link signs no one in); the POST,
    from any browser, signs in once."""
    if request.method == "POST":
        link = redeem_link(token)
        if link is None:
            return _link_problem(request, link_state(token))
        replaced = sessions.sign_in(request, link=link)
        note = f" (no longer as {replaced})" if replaced else ""
        messages.success(request, f"You are signed in as {link.email}{note}.")
        return _see_other(ACCOUNT_URL)
    state = link_state(token)
    if state is not LinkState.VALID:
        return _link_problem(request, state)
    return render(request, "accounts/sign_in_link.html")


def _link_problem(request: HttpRequest, state: LinkState) -> HttpResponse:
    status, heading, explanation = LINK_PROBLEMS.get(state, LINK_PROBLEMS[LinkState.UNKNOWN])
    return _sign_in_page(request, status=status, problem={"heading": heading, "explanation": explanation})


@never_cache
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    sessions.sign_out(request)
    messages.success(request, "You are signed out.")
    return _see_other(ACCOUNT_URL)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    email = sessions.signed_in_email(request)
    if email is None:
        return _see_other(ACCOUNT_URL)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        form.is_valid()  # two check boxes: nothing to refuse
        changed = save_preferences(email=email, wanted={topic: form.cleaned_data.get(topic) for topic in TOPICS})
        messages.success(request, "Your email preferences are saved." if changed else "Nothing changed.")
        return _see_other("/account/preferences/")
    context = {"email": email, "form": PreferencesForm(initial=preferences_of(email)), "mail_stop": mail_stop(email)}
    return render(request, "accounts/preferences.html", context)


@never_cache
@require_http_methods(["GET", "HEAD"])
def export(request: HttpRequest) -> HttpResponse:
    """Everything we hold about the signed-in address, as a JSON download."""
    email = sessions.signed_in_email(request)
    if email is None:
        return _see_other(ACCOUNT_URL)
    body = json.dumps(export_data(email), indent=2, ensure_ascii=False, sort_keys=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hodhod-data-{timezone.now():%Y-%m-%d}.json"'
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    """GET: what erasure does, and whether something has to happen first; POST (the box ticked): erase."""
    email = sessions.signed_in_email(request)
    if email is None:
        return _see_other(ACCOUNT_URL)
    form = EraseForm(request.POST if request.method == "POST" else None)
    error, status = erasure_blocker(email), 200
    if request.method == "POST" and error is None and form.is_valid():
        try:
            erasure = erase_customer(email=email, requested_by="customer (account page)")
        except Refusal as refusal:
            error, status = refusal.message, refusal.status_code
        else:
            sessions.sign_out(request)
            return render(request, "accounts/erased.html", {"email": email, "erasure": erasure})
    elif request.method == "POST":
        status = 409 if error else 400
    return render(request, "accounts/erase.html", {"email": email, "form": form, "error": error}, status=status)
