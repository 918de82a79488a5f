from django.conf import settings
from django.core.cache import cache
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from content.caching import PAGE_CACHE_SECONDS, recent_version, serve_shared, version_key, versioned_page
from content.footer import footer_token
from content.models import Article, SitePage, Tag
from content.selectors import (
    article_detail_queryset,
    faq_categories,
    faq_version,
    listing_version,
    live_article_version,
    live_site_page_version,
    published_articles,
)
from content.structured_data import blog_posting, faq_page
from shop.page_cache import SHARED_CONTEXT

ARTICLES_PER_PAGE = 10


def _page_of(request, articles) -> tuple:
    paginator = Paginator(articles, ARTICLES_PER_PAGE)
    try:
        return paginator, paginator.page(request.GET.get("page") or 1)
    except InvalidPage as exc:  # not a number, or beyond the end
        raise Http404("No such page.") from exc


def _listing_version(request, tag_slug: str | None = None) -> tuple:
    tag = get_object_or_404(Tag.objects.values_list("pk", "name"), slug=tag_slug) if tag_slug else None
    return (*recent_version("listing", listing_version), tag)


@require_safe
@versioned_page(_listing_version)
def article_list(request, tag_slug: str | None = None):
    tag = get_object_or_404(Tag, slug=tag_slug) if tag_slug else None
    paginator, page = _page_of(request, published_articles(tag=tag))
    context = {"page": page, "paginator": paginator, "tag": tag, **SHARED_CONTEXT}
    return render(request, "content/article_list.html", context)


def may_preview(user) -> bool:
    """Drafts are for staff who may see articles in the admin (view, or change, which implies it
    there too), not for every staff user (issue 10)."""
    return user.is_staff and (user.has_perm("content.view_article") or user.has_perm("content.change_article"))


def _private_preview(response: HttpResponse) -> HttpResponse:
    """A page only its editor sees: kept by no cache, indexed by no search engine."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


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


def _article_page(request, fragments: dict[str, str], visitor: dict) -> HttpResponse:
    """`visitor`: SHARED_CONTEXT for the page cached for everyone, {} for a preview."""
    context = {
        "title": fragments["title"],
        "description": fragments["description"],
        # Rendered (and escaped) by our own templates above; cached as plain strings.
        **{key: mark_safe(fragments[key]) for key in ("meta", "head", "body")},  # noqa: S308
    }
    return render(request, "content/article_detail.html", {"fragments": context, **visitor})


@require_safe
def article_detail(request, slug: str):
    version = recent_version(f"article:{slug}", lambda: live_article_version(slug))
    if version is None:
        # Drafts and scheduled articles: 404 to the public, a noindex preview for editors.
        if not may_preview(request.user):
            raise Http404("No such article.")
        article = get_object_or_404(article_detail_queryset(include_unpublished=True), slug=slug)
        return _private_preview(_article_page(request, _article_fragments(article, preview=True), {}))

    key = version_key(version, footer_token())  # the cached page carries the footer
    # A revalidation costs the one query above; the page and the article's own fragments are
    # cached under its version: an edit changes the key, nothing goes stale.
    last_modified = int(version[1].timestamp())
    return serve_shared(
        request,
        key=f"article:{key}",
        last_modified=last_modified,
        render=lambda: _published_article(request, key, version[0]),
    )


def _published_article(request, key: str, pk: int) -> HttpResponse:
    fragments = cache.get(f"content:article:{key}")
    if fragments is None:
        article = article_detail_queryset().filter(pk=pk).first()
        if article is None:  # unpublished between the two queries
            raise Http404("No such article.")
        fragments = _article_fragments(article, preview=False)
        cache.set(f"content:article:{key}", fragments, timeout=PAGE_CACHE_SECONDS)
    return _article_page(request, fragments, SHARED_CONTEXT)


@require_safe
@versioned_page(lambda request: recent_version("faq", faq_version))
def faq(request):
    categories = faq_categories()
    entries = [entry for category in categories for entry in category.published_entries]
    context = {"categories": categories, "faq_ld": faq_page(entries), **SHARED_CONTEXT}
    return render(request, "content/faq.html", context)


def may_preview_site_pages(user) -> bool:
    """Unpublished site pages are for staff who may see them in the admin, as with articles."""
    return user.is_staff and (user.has_perm("content.view_sitepage") or user.has_perm("content.change_sitepage"))


def _site_page_version(request, slug: str) -> tuple:
    version = recent_version(f"site-page:{slug}", lambda: live_site_page_version(slug))
    if version is None:
        raise Http404("No such page.")
    return version


def _render_site_page(request, page: SitePage, *, preview: bool) -> HttpResponse:
    # The published page is cached for everyone (holes for the visitor's bits); a preview is not.
    visitor = {} if preview else SHARED_CONTEXT
    return render(request, "content/site_page.html", {"page": page, "preview": preview, **visitor})


@versioned_page(_site_page_version)
def _published_site_page(request, slug: str):
    page = SitePage.objects.published().filter(slug=slug).first()
    if page is None:  # unpublished between the two queries
        raise Http404("No such page.")
    return _render_site_page(request, page, preview=False)


@require_safe
def site_page(request, slug: str):
    """/pages/<slug>/: shipping, returns, contact… Cached under its version like the blog;
    an unpublished page is a 404, or a private preview for staff who may see site pages."""
    if may_preview_site_pages(request.user):
        page = get_object_or_404(SitePage, slug=slug)
        if not page.is_published:
            return _private_preview(_render_site_page(request, page, preview=True))
    return _published_site_page(request, slug)


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
