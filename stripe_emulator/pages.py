"""The hosted payment page: a stand-in for checkout.stripe.com.

Plain HTML with inline CSS (no external assets, no JavaScript), a `lang`
attribute, and a visible <label> for every field, so the end-to-end tests can
drive it like a person would and accessibility checks pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from .objects import format_amount
from .page_parts import consent_fieldset, promotion_fieldset, shipping_fieldset, subscription_note, totals_rows
from .payer import prefilled_payer


@dataclass
class PageResponse:
    """What a hosted page answers: HTML with a status, or a 303 redirect to `location`."""

    status: int = 200
    html: str = ""
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1a1f36;line-height:1.5}
main{max-width:34rem;margin:2rem auto;padding:1.5rem;background:#fff;border:1px solid #d8dce3;border-radius:8px}
h1{font-size:1.35rem;margin:0 0 .25rem}
.note{color:#4f566b;font-size:.9rem;margin:0 0 1rem}
table{width:100%;border-collapse:collapse;margin:0 0 1rem}
th,td{text-align:left;padding:.35rem 0;border-bottom:1px solid #e3e8ee}
td.num,th.num{text-align:right}
tfoot th,tfoot td{font-weight:700;border-bottom:0}
fieldset{border:1px solid #d8dce3;border-radius:6px;margin:0 0 1rem;padding:.75rem}
legend{font-weight:600;padding:0 .25rem}
label{display:block;font-size:.9rem;margin:.5rem 0 .15rem}
input,select{width:100%;padding:.45rem;border:1px solid #8792a2;border-radius:4px;font:inherit}
.row{display:flex;gap:.75rem}.row>div{flex:1}
.actions{display:flex;flex-wrap:wrap;gap:.5rem}
button{font:inherit;padding:.55rem 1rem;border-radius:4px;border:1px solid #3c4257;background:#fff;color:#1a1f36;cursor:pointer}
button.primary{background:#3d3ab0;border-color:#3d3ab0;color:#fff}
button:focus-visible,input:focus-visible,select:focus-visible,a:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.error{background:#fdecea;border:1px solid #b3261e;color:#8c1d18;padding:.5rem .75rem;border-radius:4px}
.status{font-weight:600}
a{color:#3d3ab0}
.choice{display:flex;gap:.5rem;align-items:center;margin:.35rem 0}
.choice input{width:auto}.choice label{margin:0}
"""


def _document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _lines_table(session: dict[str, Any], items: list[dict[str, Any]], rate_names: dict[str, str]) -> str:
    currency = session["currency"]
    rows = "".join(
        "<tr>"
        f"<td>{escape(item['description'] or '')}</td>"
        f'<td class="num">{item["quantity"]}</td>'
        f'<td class="num">{escape(format_amount(item["amount_subtotal"], currency))}</td>'
        "</tr>"
        for item in items
    )
    shipping_row = totals_rows(session, rate_names)
    return (
        '<table>\n<caption class="note">Your order</caption>\n'
        '<thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th>'
        '<th scope="col" class="num">Amount</th></tr></thead>\n'
        f"<tbody>{rows}{shipping_row}</tbody>\n"
        f'<tfoot><tr><th scope="row">Total</th><td></td><td class="num" id="total">'
        f"{escape(format_amount(session['amount_total'], currency))}</td></tr></tfoot>\n</table>"
    )


def _field(name: str, label: str, value: str, *, autocomplete: str, kind: str = "text", extra: str = "") -> str:
    return (
        f'<div><label for="{name}">{escape(label)}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" value="{escape(value)}" autocomplete="{autocomplete}"{extra}>'
        "</div>"
    )


def _country_field(allowed: list[str] | None, country: str) -> str:
    if allowed:
        options = "".join(
            f'<option value="{escape(code)}"{" selected" if code == country else ""}>{escape(code)}</option>'
            for code in allowed
        )
        return (
            '<div><label for="country">Country</label>'
            f'<select id="country" name="country" autocomplete="shipping country">{options}</select></div>'
        )
    return _field(
        "country",
        "Country (two-letter code)",
        country,
        autocomplete="shipping country",
        extra=' maxlength="2" required',
    )


def _address_fieldset(payer: dict[str, str], allowed: list[str] | None) -> str:
    return f"""<fieldset><legend>Shipping address</legend>
{_field("name", "Full name", payer["name"], autocomplete="shipping name", extra=" required")}
{_field("line1", "Address line 1", payer["line1"], autocomplete="shipping address-line1", extra=" required")}
{_field("line2", "Address line 2 (optional)", payer["line2"], autocomplete="shipping address-line2")}
<div class="row">
{_field("city", "City", payer["city"], autocomplete="shipping address-level2", extra=" required")}
{_field("state", "State or province", payer["state"], autocomplete="shipping address-level1")}
</div>
<div class="row">
{_field("postal_code", "Postal code", payer["postal_code"], autocomplete="shipping postal-code", extra=" required")}
{_country_field(allowed, payer["country"])}
</div>
</fieldset>"""


def render_pay_page(
    session: dict[str, Any],
    items: list[dict[str, Any]],
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    context: dict[str, Any] | None = None,
) -> str:
    """The page for an open session: order summary, payer fields, the session's options, and
    Pay / Pay (delayed method) / Cancel. `context`: shipping `rates`, the `selected_rate`, the
    typed `code`, the consent boxes' state (`promotions`, `terms`) and a subscription's `trial_end`."""
    context = context or {}
    rates = context.get("rates", [])
    allowed = (session.get("shipping_address_collection") or {}).get("allowed_countries")
    payer = prefilled_payer(session)
    payer.update({k: v for k, v in (values or {}).items() if k in payer})
    email_extra = " readonly" if session.get("customer_email") else ""
    error_html = f'<p class="error" role="alert">{escape(error)}</p>\n' if error else ""
    sid = escape(session["id"])
    delayed = (
        ""
        if session.get("mode") == "subscription"
        else '<button type="submit" name="action" value="delayed">Pay (delayed method)</button>\n'
    )
    options = "\n".join(
        part
        for part in (
            shipping_fieldset(rates, context.get("selected_rate"), session["currency"]),
            promotion_fieldset(session, context.get("code", "")),
            consent_fieldset(session, promotions=context.get("promotions", False), terms=context.get("terms", False)),
        )
        if part
    )
    rate_names = {rate["id"]: rate["display_name"] for rate in rates}
    body = f"""<h1>Pay {escape(format_amount(session["amount_total"], session["currency"]))}</h1>
<p class="note">Stripe emulator (test mode): no real card is charged.</p>
{error_html}{_lines_table(session, items, rate_names)}
{subscription_note(session, items, context.get("trial_end"))}
<form method="post" action="/pay/{sid}">
<fieldset><legend>Contact</legend>
{_field("email", "Email", payer["email"], autocomplete="email", kind="email", extra=" required" + email_extra)}
</fieldset>
{_address_fieldset(payer, allowed)}
{options}
<div class="actions">
<button class="primary" type="submit" name="action" value="pay">Pay</button>
{delayed}<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</div>
</form>"""
    return _document(f"Pay {format_amount(session['amount_total'], session['currency'])} - Stripe emulator", body)


def render_status_page(session: dict[str, Any], payment_intent: dict[str, Any] | None) -> str:
    """The page for a session that can no longer be paid; a delayed payment can be settled here."""
    sid = escape(session["id"])
    if session["status"] == "expired":
        message = "This checkout session has expired."
    elif session["payment_status"] == "paid":
        message = "This checkout session is paid."
    elif session["payment_status"] == "no_payment_required":
        message = "This checkout session is complete: nothing was due now."
    elif payment_intent and payment_intent["status"] == "processing":
        message = "The delayed payment is processing."
    else:
        message = "The delayed payment failed."
    settle = ""
    if payment_intent and payment_intent["status"] == "processing":
        settle = f"""<form method="post" action="/pay/{sid}">
<div class="actions">
<button class="primary" type="submit" name="action" value="settle_succeeded">Delayed payment succeeds</button>
<button type="submit" name="action" value="settle_failed">Delayed payment fails</button>
</div>
</form>"""
    links = []
    if session.get("success_url") and session["status"] == "complete":
        links.append(f'<a href="{escape(success_url(session))}">Back to the shop</a>')
    elif session.get("cancel_url"):
        links.append(f'<a href="{escape(session["cancel_url"])}">Back to the shop</a>')
    body = f"""<h1>Checkout session</h1>
<p class="note">Stripe emulator (test mode).</p>
<p class="status" role="status">{escape(message)}</p>
<p>Total: {escape(format_amount(session["amount_total"], session["currency"]))}</p>
{settle}
<p>{" ".join(links)}</p>"""
    return _document("Checkout session - Stripe emulator", body)


def render_not_found(object_id: str, what: str = "checkout session") -> str:
    body = f"<h1>Not found</h1>\n<p>No {escape(what)} {escape(object_id)}.</p>"
    return _document("Not found - Stripe emulator", body)


def render_message(title: str, message: str) -> str:
    """A page with one message (an expired recovery link, say)."""
    body = f'<h1>{escape(title)}</h1>\n<p class="status" role="status">{escape(message)}</p>'
    return _document(f"{title} - Stripe emulator", body)


def document(title: str, body: str) -> str:
    """The page frame (lang, styles, no external assets) other page modules use."""
    return _document(title, body)


def success_url(session: dict[str, Any]) -> str:
    """success_url with `{CHECKOUT_SESSION_ID}` filled in, as Stripe does."""
    return (session.get("success_url") or "").replace("{CHECKOUT_SESSION_ID}", session["id"])
