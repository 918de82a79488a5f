"""Programs on pages other apps render: the product page and the home page (and the blog or FAQ, should they).

`{% load programs_tags %}`, then `{% product_programs product %}` (what buying it includes) or
`{% free_program_links %}` (the join pages of the public free programs). One query each.
"""

from django import template

from programs import order_extras, selectors

register = template.Library()


@register.inclusion_tag("programs/_product_programs.html")
def product_programs(product) -> dict:
    return {"included": order_extras.product_programs(product)}


@register.inclusion_tag("programs/_free_program_links.html")
def free_program_links(heading: str = "Free exercise programs by email") -> dict:
    return {"programs": list(selectors.joinable_programs()), "heading": heading}
