from django.conf import settings

from shop.page_cache import session_cart_count


def site(request):
    return {"SITE_URL": settings.SITE_URL}


def cart_badge(request):
    """The header's cart count on every page. The shop's views pass their own and cached pages fill a hole
    (shop.page_cache), both winning over this; elsewhere the count the session keeps is read only when the
    header shows it (a callable: the template calls it), so a visitor without a session still makes none."""
    return {"cart_item_count": lambda: session_cart_count(request)}
