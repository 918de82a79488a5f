import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

from content.footer import site_page_links
from content.selectors import faq_entries_for_product
from content.structured_data import faq_page

register = template.Library()

# As django.utils.html.json_script: nothing staff type can close the <script> element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data) -> str:
    """`{% json_ld data %}` → `<script type="application/ld+json">…</script>`, or nothing for None.

    The one way JSON-LD reaches a page: the JSON is escaped so that `<`, `>` and `&`
    never appear literally inside the element.
    """
    if not data:
        return ""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')  # noqa: S308 - escaped above


@register.inclusion_tag("content/_product_faq.html")
def product_faq(product, heading: str = "Questions about this product"):
    """`{% load content_tags %}{% product_faq product %}` on the product page: its FAQ entries
    and their FAQPage JSON-LD (one query; renders nothing when there are no entries)."""
    entries = faq_entries_for_product(product)
    return {"entries": entries, "heading": heading, "faq_ld": faq_page(entries)}


@register.simple_tag
def site_pages() -> tuple[tuple[str, str], ...]:
    """`{% site_pages as pages %}`: (title, url) of the published site pages in footer order,
    from the cache (footer.py): no query once it is warm."""
    return site_page_links()[1]
