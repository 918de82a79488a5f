"""Parts of the hosted pay page that only some sessions have: the order's totals (discount,
shipping, tax), the shipping options, the promotion code field, the consent boxes and the
subscription summary. Every control has a visible label; nothing needs JavaScript.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .objects import format_amount


def _row(label: str, amount: str, *, row_id: str = "") -> str:
    ident = f' id="{row_id}"' if row_id else ""
    return f'<tr><td>{escape(label)}</td><td></td><td class="num"{ident}>{escape(amount)}</td></tr>'


def totals_rows(session: dict[str, Any], rate_names: dict[str, str]) -> str:
    """Discount, shipping and tax rows under the line items."""
    currency = session["currency"]
    details = session.get("total_details") or {}
    rows = []
    if details.get("amount_discount"):
        rows.append(_row("Discount", "-" + format_amount(details["amount_discount"], currency), row_id="discount"))
    cost = session.get("shipping_cost")
    if cost:
        name = rate_names.get(cost["shipping_rate"] or "", "Shipping")
        rows.append(_row(f"Shipping ({name})", format_amount(cost["amount_subtotal"], currency), row_id="shipping"))
    if session["automatic_tax"]["enabled"]:
        if session["status"] == "open" and session["automatic_tax"]["status"] != "complete":
            rows.append(_row("Tax", "calculated from your address when you pay", row_id="tax"))
        else:
            rows.append(_row("Tax", format_amount(details.get("amount_tax") or 0, currency), row_id="tax"))
    return "".join(rows)


def _estimate(rate: dict[str, Any]) -> str:
    estimate = rate.get("delivery_estimate") or {}
    low, high = estimate.get("minimum"), estimate.get("maximum")
    if not low and not high:
        return ""
    unit = ((low or high)["unit"]).replace("_", " ")
    if low and high:
        return f", {low['value']}–{high['value']} {unit}s"
    bound = low or high
    return f", {'at least' if low else 'up to'} {bound['value']} {unit}s"


def shipping_fieldset(rates: list[dict[str, Any]], selected: str | None, currency: str) -> str:
    if not rates:
        return ""
    choices = []
    for index, rate in enumerate(rates):
        checked = " checked" if rate["id"] == selected or (selected is None and index == 0) else ""
        label = f"{rate['display_name']}: {format_amount(rate['fixed_amount']['amount'], currency)}{_estimate(rate)}"
        choices.append(
            f'<div class="choice"><input type="radio" id="shipping_rate_{index}" name="shipping_rate" '
            f'value="{escape(rate["id"])}"{checked}>'
            f'<label for="shipping_rate_{index}">{escape(label)}</label></div>'
        )
    return f"<fieldset><legend>Shipping method</legend>\n{''.join(choices)}\n</fieldset>"


def promotion_fieldset(session: dict[str, Any], code: str) -> str:
    if not session.get("allow_promotion_codes"):
        return ""
    return (
        "<fieldset><legend>Promotion code</legend>\n"
        '<div class="row"><div><label for="promotion_code">Promotion code (optional)</label>'
        f'<input id="promotion_code" name="promotion_code" type="text" value="{escape(code)}" autocomplete="off">'
        "</div></div>\n"
        '<div class="actions"><button type="submit" name="action" value="apply_code" formnovalidate>Apply code</button>'
        "</div>\n</fieldset>"
    )


def consent_fieldset(session: dict[str, Any], *, promotions: bool, terms: bool) -> str:
    collection = session.get("consent_collection") or {}
    boxes = []
    if collection.get("promotions") == "auto":
        checked = " checked" if promotions else ""
        boxes.append(
            '<div class="choice"><input type="checkbox" id="consent_promotions" name="consent_promotions" '
            f'value="1"{checked}><label for="consent_promotions">Send me news and offers by email</label></div>'
        )
    if collection.get("terms_of_service") == "required":
        checked = " checked" if terms else ""
        boxes.append(
            '<div class="choice"><input type="checkbox" id="accept_terms" name="accept_terms" value="1" required'
            f'{checked}><label for="accept_terms">I agree to the terms of service</label></div>'
        )
    if not boxes:
        return ""
    return f"<fieldset><legend>Consent</legend>\n{''.join(boxes)}\n</fieldset>"


def subscription_note(session: dict[str, Any], items: list[dict[str, Any]], trial_end: int | None) -> str:
    """For `mode=subscription`: what recurs, and the trial."""
    if session.get("mode") != "subscription" or not items:
        return ""
    recurring = items[0]["price"]["recurring"]
    per = (
        recurring["interval"]
        if recurring["interval_count"] == 1
        else f"{recurring['interval_count']} {recurring['interval']}s"
    )
    amount = sum(item["amount_subtotal"] for item in items)
    trial = ""
    if trial_end:
        trial_days = max(round((trial_end - session["created"]) / 86400), 1)
        trial = f" after a {trial_days}-day free trial"
    text = f"Then {format_amount(amount, session['currency'])} every {per}{trial}, until you cancel."
    return f'<p class="note" id="recurring">{escape(text)}</p>'
