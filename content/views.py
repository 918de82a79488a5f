import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse
from django.middleware.http import ConditionalGetMiddleware
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_cache_control
from django.utils.decorators import decorator_from_middleware
from django.utils.http import http_date, quote_etag
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from content.models import Article, Tag
from content.selectors import article_detail_queryset, faq_categories, live_article_version, published_articles
from content.structured_data import blog_posting, faq_page

ARTICLES_PER_PAGE = 10
ARTICLE_CACHE_SECONDS = 24 * 3600

# ETag from the rendered body, 304 on a match: for pages whose freshness has no single timestamp.
etag_from_content = decorator_from_middleware(ConditionalGetMiddleware)


def _page_of(request, articles) -> tuple:
    paginator = Paginator(articles, ARTICLES_PER_PAGE)
    try:
        return paginator, paginator.page(request.GET.get("page") or 1)
    except InvalidPage as exc:  # not a number, or beyond the end
        raise Http404("No such page.") from exc


@require_safe
@etag_from_content
def article_list(request, tag_slug: str | None = None):
    tag = get_object_or_404(Tag, slug=tag_slug) if tag_slug else None
    paginator, page = _page_of(request, published_articles(tag=tag))
    return render(request, "content/article_list.html", {"page": page, "paginator": paginator, "tag": tag})


def _validators(version: tuple) -> tuple[str, int]:
    """A strong ETag and a Last-Modified for a live article, from `live_article_version()`."""
    digest = hashlib.sha256(repr((version, settings.SITE_URL)).encode()).hexdigest()[:32]
    return quote_etag(digest), int(version[1].timestamp())


def _article_fragments(article: Article, *, preview: bool) -> dict[str, str]:
    """The article's part of the page, rendered: all but what base.html renders per request."""
    faq_entries = list(article.faq_entries.all())
    context = {
        "article": article,
        "preview": preview,
        "tags": list(article.tags.all()),
        "further_reading": list(article.further_reading.all()),
        "faq_entries": faq_entries,
        "posting_ld": blog_posting(article),
        "faq_ld": faq_page(faq_entries),
    }
    return {
        "title": article.page_title,
        "description": article.page_description,
        "meta": render_to_string("content/_article_meta.html", context),
        "head": render_to_string("content/_article_head.html", context),
        "body": render_to_string("content/_article_body.html", context),
    }


def _article_page(request, fragments: dict[str, str]) -> HttpResponse:
    context = {
        "title": fragments["title"],
        "description": fragments["description"],
        # Rendered (and escaped) by our own templates above; cached as plain strings.
        **{key: mark_safe(fragments[key]) for key in ("meta", "head", "body")},  # noqa: S308
    }
    return render(request, "content/article_detail.html", {"fragments": context})


@require_safe
def article_detail(request, slug: str):
    version = live_article_version(slug)
    if version is None:
        # Drafts and scheduled articles: 404 to the public, a noindex preview for staff.
        if not (request.user.is_authenticated and request.user.is_staff):
            raise Http404("No such article.")
        article = get_object_or_404(article_detail_queryset(include_unpublished=True), slug=slug)
        response = _article_page(request, _article_fragments(article, preview=True))
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response

    etag, last_modified = _validators(version)
    validators = HttpResponse()
    validators["ETag"] = etag
    validators["Last-Modified"] = http_date(last_modified)
    patch_cache_control(validators, public=True, max_age=0, must_revalidate=True)
    # Answered before any rendering: a revalidation costs the one query above.
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified, response=validators)
    if not_modified is not validators:
        return not_modified

    # The rendered article is cached under its version: an edit changes the key, nothing goes stale.
    # Without a session or messages cookie the whole page depends on nothing else, so it is
    # cached whole; otherwise base.html is rendered around the cached article (flash messages).
    cache_key = f"content:article:{etag.strip(chr(34))}"
    cookieless = not (settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES)
    page = cache.get(f"{cache_key}:page") if cookieless else None
    if page is not None:
        response = HttpResponse(page)
    else:
        fragments = cache.get(cache_key)
        if fragments is None:
            article = article_detail_queryset().filter(pk=version[0]).first()
            if article is None:  # unpublished between the two queries
                raise Http404("No such article.")
            fragments = _article_fragments(article, preview=False)
            cache.set(cache_key, fragments, timeout=ARTICLE_CACHE_SECONDS)
        response = _article_page(request, fragments)
        if cookieless:
            cache.set(f"{cache_key}:page", response.content, timeout=ARTICLE_CACHE_SECONDS)
    for header in ("ETag", "Last-Modified", "Cache-Control"):
        response[header] = validators[header]
    return response


@require_safe
@etag_from_content
def faq(request):
    categories = faq_categories()
    entries = [entry for category in categories for entry in category.published_entries]
    return render(request, "content/faq.html", {"categories": categories, "faq_ld": faq_page(entries)})


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /cart/",
        "Disallow: /checkout/",
        "Disallow: /orders/",
        "Disallow: /programs/",
        "",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
