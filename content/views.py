import hashlib

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse
from django.middleware.http import ConditionalGetMiddleware
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_cache_control
from django.utils.decorators import decorator_from_middleware
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from content.models import Article, Tag
from content.selectors import article_detail_queryset, faq_categories, published_articles
from content.structured_data import blog_posting, faq_page

ARTICLES_PER_PAGE = 10

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


def _article_version(article: Article) -> tuple[str, int]:
    """A strong ETag and a Last-Modified from everything the page shows, known before rendering."""
    faq = list(article.faq_entries.all())
    product = article.featured_product
    parts = [
        article.pk,
        article.updated_at.isoformat(),
        article.published_at.isoformat() if article.published_at else "",
        *(f"{e.pk}:{e.updated_at.isoformat()}" for e in faq),
        *(f"{t.pk}:{t.slug}:{t.name}" for t in article.tags.all()),
        f"{product.pk}:{product.slug}:{product.name}:{product.is_active}" if product else "",
        settings.SITE_URL,
    ]
    etag = quote_etag(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32])
    last_modified = max([article.updated_at, *(e.updated_at for e in faq)])
    return etag, int(last_modified.timestamp())


@require_safe
def article_detail(request, slug: str):
    article = article_detail_queryset().filter(slug=slug).first()
    preview = False
    if article is None:
        # Drafts and scheduled articles: 404 to the public, a noindex preview for staff.
        if not (request.user.is_authenticated and request.user.is_staff):
            raise Http404("No such article.")
        article = get_object_or_404(article_detail_queryset(include_unpublished=True), slug=slug)
        preview = True

    if preview:
        response = _render_article(request, article, preview=True)
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response

    etag, last_modified = _article_version(article)
    validators = HttpResponse()
    validators["ETag"] = etag
    validators["Last-Modified"] = http_date(last_modified)
    patch_cache_control(validators, public=True, max_age=0, must_revalidate=True)
    # Answered before rendering: a revalidation costs the queries above and no template work.
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified, response=validators)
    if not_modified is not validators:
        return not_modified
    response = _render_article(request, article, preview=False)
    for header in ("ETag", "Last-Modified", "Cache-Control"):
        response[header] = validators[header]
    return response


def _render_article(request, article: Article, *, preview: bool) -> HttpResponse:
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
    return render(request, "content/article_detail.html", context)


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
