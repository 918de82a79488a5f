"""`{% load shop_display %}`: addresses and money in templates, through the same helpers as the admin.

{% for line in order.shipping_address|address_lines:order.customer_name %}{{ line }}<br>{% endfor %}
{{ order.shipping_address|address_line }}
{{ refund.amount|money:order.currency }}
"""

from django import template

from shop.addresses import format_address, format_address_line
from shop.display import format_money

register = template.Library()


@register.filter
def address_lines(address, name: str = "") -> list[str]:
    """The address's lines in its country's order (shop.addresses), the recipient's name first if given."""
    return format_address(address, name=name or "")


@register.filter
def address_line(address, name: str = "") -> str:
    return format_address_line(address, name=name or "")


@register.filter
def money(amount, currency: str = "") -> str:
    return format_money(amount, currency or "")
