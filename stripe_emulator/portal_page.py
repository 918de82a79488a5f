"""The hosted customer portal page: GET and POST /portal/<billing portal session id>.

Plain HTML forms (no JavaScript), one per action, each with a visible label; a POST answers a
303 back to the page, as a browser form would expect. Actions are in portal.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import parse_qsl

from .objects import format_amount
from .pages import PageResponse, document, render_not_found
from .params import StripeError


def portal_page(emu: Any, method: str, session_id: str, body: bytes) -> PageResponse:
    try:
        view = emu.portal_view(session_id)
    except StripeError:
        return PageResponse(404, render_not_found(session_id, "portal session"))
    if method == "GET":
        return PageResponse(200, render_portal(view))
    if method != "POST":
        return PageResponse(405, render_not_found(session_id, "portal session"))
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        emu.portal_action(
            session_id,
            form.get("action", ""),
            subscription_id=form.get("subscription") or None,
            price_id=form.get("price") or None,
        )
    except StripeError as error:
        return PageResponse(
            400 if error.status < 500 else 500, render_portal(emu.portal_view(session_id), error=error.message)
        )
    return PageResponse(location=f"/portal/{session_id}")


def _date(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %b %Y") if timestamp else ""


def _price_label(price: dict[str, Any], names: dict[str, str]) -> str:
    recurring = price["recurring"] or {"interval": "month", "interval_count": 1}
    every = (
        recurring["interval"]
        if recurring["interval_count"] == 1
        else f"{recurring['interval_count']} {recurring['interval']}s"
    )
    name = names.get(price["product"]) or price.get("nickname") or price["product"]
    return f"{name}: {format_amount(price['unit_amount'], price['currency'])} every {every}"


def _button(session_id: str, action: str, label: str, subscription: str = "", *, primary: bool = False) -> str:
    hidden = f'<input type="hidden" name="subscription" value="{escape(subscription)}">' if subscription else ""
    css = ' class="primary"' if primary else ""
    return (
        f'<form method="post" action="/portal/{escape(session_id)}">{hidden}'
        f'<button{css} type="submit" name="action" value="{action}">{escape(label)}</button></form>'
    )


def _subscription_section(view: dict[str, Any], subscription: dict[str, Any]) -> str:
    session_id = view["session"]["id"]
    features = view["configuration"]["features"]
    names = view["product_names"]
    item = subscription["items"]["data"][0]
    sub_id = subscription["id"]
    if subscription["cancel_at"]:
        when = f"Cancels on {_date(subscription['cancel_at'])}"
    else:
        when = f"Renews on {_date(item['current_period_end'])}"
    parts = [
        f'<section aria-labelledby="h-{escape(sub_id)}"><h2 id="h-{escape(sub_id)}">{escape(_price_label(item["price"], names))}</h2>',
        f'<p class="status">Status: {escape(subscription["status"])}. {escape(when)}.</p>',
        '<div class="actions">',
    ]
    if subscription["cancel_at_period_end"]:
        parts.append(_button(session_id, "resume", "Resume subscription", sub_id, primary=True))
    elif features["subscription_cancel"]["enabled"]:
        parts.append(_button(session_id, "cancel", "Cancel subscription", sub_id))
    parts.append("</div>")
    offered = [p for p in view["prices"] if p["id"] != item["price"]["id"]]
    if features["subscription_update"]["enabled"] and offered:
        field = f"price-{escape(sub_id)}"
        options = "".join(
            f'<option value="{escape(p["id"])}">{escape(_price_label(p, names))}</option>' for p in offered
        )
        parts.append(
            f'<form method="post" action="/portal/{escape(session_id)}">'
            f'<input type="hidden" name="subscription" value="{escape(sub_id)}">'
            f'<label for="{field}">New plan</label><select id="{field}" name="price">{options}</select>'
            '<div class="actions"><button type="submit" name="action" value="switch">Switch plan</button></div></form>'
        )
    parts.append("</section>")
    return "\n".join(parts)


def render_portal(view: dict[str, Any], *, error: str | None = None) -> str:
    session = view["session"]
    customer = view["customer"] or {}
    card = view["card"]
    features = view["configuration"]["features"]
    sections = [_subscription_section(view, s) for s in view["subscriptions"]] or ["<p>No active subscriptions.</p>"]
    card_state = "declines every charge (test switch on)" if card["failing"] else "works"
    card_buttons = []
    if features["payment_method_update"]["enabled"]:
        card_buttons.append(_button(session["id"], "card_fix", "Update card", primary=True))
    card_buttons.append(_button(session["id"], "card_fail", "Card declines from now on (test)"))
    back = f'<p><a href="{escape(session["return_url"])}">Return to the site</a></p>' if session["return_url"] else ""
    error_html = f'<p class="error" role="alert">{escape(error)}</p>\n' if error else ""
    body = f"""<h1>Your subscriptions</h1>
<p class="note">Stripe emulator (test mode) customer portal for {escape(customer.get("email") or session["customer"])}.</p>
{error_html}{"".join(sections)}
<section aria-labelledby="h-card"><h2 id="h-card">Payment method</h2>
<p class="status" id="card-state">Your card {card_state}.</p>
<div class="actions">{"".join(card_buttons)}</div></section>
{back}"""
    return document("Customer portal - Stripe emulator", body)
