from django.shortcuts import render
from django.views import defaults
from django.views.decorators.http import require_safe

from content.footer import footer_token
from content.models import FaqEntry
from content.selectors import published_articles
from core.api import is_api_request, json_bad_request, json_not_found, json_permission_denied, json_server_error
from shop.page_cache import stock_page
from shop.storefront import storefront_context


def _shared_home(request):
    return render(
        request,
        "home.html",
        {
            **storefront_context(),
            "articles": list(published_articles()[:3]),
            "faq_entries": list(FaqEntry.objects.published().select_related("category")[:4]),
        },
    )


@require_safe
def home(request):
    """The front page composes the apps: the products, the latest articles, a FAQ teaser. It shows
    stock: cached for at most shop.page_cache.STOCK_SECONDS, the visitor's own bits filled in."""
    return stock_page(request, ("home", footer_token()), lambda: _shared_home(request))


def bad_request(request, exception):
    if is_api_request(request):
        return json_bad_request(request, exception)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_request(request):
        return json_permission_denied(request, exception)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api_request(request):
        return json_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_request(request):
        return json_server_error(request)
    return defaults.server_error(request)
