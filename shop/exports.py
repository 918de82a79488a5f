"""The orders CSV that staff export from the admin: one row per order, money as plain decimals (the
breakdown as Stripe settled it: subtotal − discount + shipping + tax = total), times in ISO 8601 UTC, the
shipping address on one line (and its postal code and country in columns of their own, to sort and filter
by). Every cell is guarded against spreadsheet formulas (CSV injection)."""

import csv
from collections.abc import Iterable
from typing import TextIO

from shop.addresses import format_address_line
from shop.display import format_utc
from shop.models import Order

ORDER_COLUMNS = [
    "number",
    "created_at",
    "paid_at",
    "status",
    "email",
    "customer_name",
    "shipping_address",
    "shipping_postal_code",
    "shipping_country",
    "subtotal",
    "discount",
    "promotion_code",
    "shipping",
    "shipping_rate",
    "tax",
    "total",
    "currency",
    "refunded",
    "payment_intent_id",
    "carrier",
    "tracking_number",
    "lines",
]


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start with these as formulas (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def order_row(order: Order) -> list[str]:
    """One order's cells, in ORDER_COLUMNS order (its lines and refunds prefetched, or a query each)."""
    address = order.shipping_address if isinstance(order.shipping_address, dict) else {}
    row = [order.number, format_utc(order.created_at), format_utc(order.paid_at), order.status, order.email]
    row += [order.customer_name, format_address_line(address), address.get("postal_code", "")]
    row.append(str(address.get("country", "")).upper())
    row += [order.subtotal, order.discount_total, order.promotion_code, order.shipping_total, order.shipping_rate_name]
    row += [order.tax_total, order.total, order.currency, order.amount_refunded]
    row += [order.payment_intent_id, order.carrier, order.tracking_number]
    row.append("; ".join(f"{line.quantity} x {line.sku}" for line in order.lines.all()))
    return [_csv_cell(value) for value in row]


def write_orders_csv(orders: Iterable[Order], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(ORDER_COLUMNS)
    for order in orders:
        writer.writerow(order_row(order))
