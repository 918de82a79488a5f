"""The hosted pay page's requests: GET and POST /pay/<session id>, and GET /recover/<session id>
(the recovery URL of an expired session). Each answers a `PageResponse` for server.py to send.

Form actions: `pay`, `delayed` (a bank debit that settles later), `apply_code` (re-shows the page
with the code's discount, or its error), `cancel` (back to `cancel_url`; the consent box is
recorded even so), and on a completed delayed payment `settle_succeeded` / `settle_failed`.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qsl

from .pages import PageResponse, render_message, render_not_found, render_pay_page, render_status_page, success_url
from .params import StripeError
from .payer import PAYER_FIELDS, payer_problem

# Refusals the payer can fix on the page (400); others (a paid or expired session) are 409.
PAYER_PARAMS = ("promotion_code", "country", "state", "shipping_rate", "terms_of_service")


def pay_page(emu: Any, method: str, session_id: str, body: bytes) -> PageResponse:
    try:
        session = emu.retrieve_session(session_id)
    except StripeError:
        return PageResponse(404, render_not_found(session_id))
    if method == "GET":
        return show(emu, session)
    if method != "POST":
        return PageResponse(405, render_not_found(session_id))
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    action = form.get("action", "pay")
    if action == "cancel":
        if (session.get("consent_collection") or {}).get("promotions") == "auto":
            emu.record_consent(session_id, form.get("consent_promotions") == "1")
        return PageResponse(location=session.get("cancel_url") or f"/pay/{session_id}")
    if action in ("settle_succeeded", "settle_failed"):
        try:
            emu.settle_session(session_id, succeeded=action == "settle_succeeded")
        except StripeError as error:
            return show(emu, session, error=error.message, status=409)
        return PageResponse(location=f"/pay/{session_id}")
    if action not in ("pay", "delayed", "apply_code"):
        return show(emu, session, error="Unknown action.", status=400)
    values = payer_values(form)
    if action == "apply_code":
        return _apply_code(emu, session, form, values)
    problem = payer_problem(values)
    if problem:
        return show(emu, session, values=values, error=problem, status=400, form=form)
    try:
        paid = emu.complete_session(
            session_id,
            "paid" if action == "pay" else "delayed",
            email=values["email"],
            name=values["name"],
            address={k: values[k] for k in ("line1", "line2", "city", "state", "postal_code", "country")},
            **choices(session, form),
        )
    except StripeError as error:
        status = 400 if error.param in PAYER_PARAMS else 409
        return show(emu, emu.session(session_id), values=values, error=error.message, status=status, form=form)
    return PageResponse(location=success_url(paid) if paid.get("success_url") else f"/pay/{session_id}")


def payer_values(form: dict[str, str]) -> dict[str, str]:
    values = {name: form.get(name, "").strip() for name in PAYER_FIELDS}
    values["country"] = values["country"].upper()
    if len(values["state"]) <= 3:
        values["state"] = values["state"].upper()
    return values


def choices(session: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """The page's options as `complete_session` takes them (a missing box is an unticked one)."""
    collection = session.get("consent_collection") or {}
    return {
        "shipping_rate": form.get("shipping_rate") or None,
        "promotion_code": form.get("promotion_code") if session.get("allow_promotion_codes") else None,
        "consent_promotions": form.get("consent_promotions") == "1" if collection.get("promotions") == "auto" else None,
        "accept_terms": form.get("accept_terms") == "1",
    }


def _apply_code(emu: Any, session: dict[str, Any], form: dict[str, str], values: dict[str, str]) -> PageResponse:
    try:
        session = emu.apply_promotion_code(session["id"], form.get("promotion_code", ""), email=values["email"] or None)
    except StripeError as error:
        return show(emu, session, values=values, error=error.message, status=400, form=form)
    return show(emu, session, values=values, form=form)


def show(
    emu: Any,
    session: dict[str, Any],
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> PageResponse:
    if session["status"] != "open":
        intent = emu.payment_intent(session["payment_intent"]) if session.get("payment_intent") else None
        html = render_status_page(session, intent)
        if error:
            html = html.replace(
                '<p class="status"', f'<p class="error" role="alert">{escape(error)}</p>\n<p class="status"', 1
            )
        return PageResponse(status, html)
    context = emu.page_state(session["id"])
    if values is None and context["customer_email"]:
        values = {"email": context["customer_email"]}  # the session's customer
    if form is not None:
        context["selected_rate"] = form.get("shipping_rate") or context["selected_rate"]
        if "promotion_code" in form:
            context["code"] = form["promotion_code"]
        context["promotions"] = form.get("consent_promotions") == "1"
        context["terms"] = form.get("accept_terms") == "1"
    html = render_pay_page(session, emu.session_line_items(session["id"]), values=values, error=error, context=context)
    return PageResponse(status, html)


def recover_page(emu: Any, session_id: str) -> PageResponse:
    """The recovery URL: a new session like the expired one, then its pay page."""
    try:
        recovered = emu.recover_session(session_id)
    except StripeError as error:
        if error.status == 410:
            return PageResponse(410, render_message("Link expired", error.message))
        return PageResponse(404, render_not_found(session_id, "recoverable checkout session"))
    return PageResponse(location=recovered["url"])
