"""Reads shared by the pages, feeds, sitemap, API and the shop's product page.

Each returns a queryset with its relations fetched up front, so a page costs the
same number of queries whatever the number of articles, tags and FAQ entries.
"""

from datetime import UTC, datetime

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from content.models import Article, FaqCategory, FaqEntry, SitePage, Tag
from shop.models import Product


def published_articles(*, tag: Tag | None = None, search: str = "") -> QuerySet[Article]:
    """Live articles, newest first, with author and tags fetched."""
    articles = Article.objects.published().for_listing()
    if tag is not None:
        articles = articles.filter(tags=tag)
    if search:
        articles = articles.filter(Q(title__icontains=search) | Q(summary__icontains=search))
    return articles


def _published_entries() -> QuerySet[FaqEntry]:
    return FaqEntry.objects.published().order_by("position", "pk")


def article_detail_queryset(*, include_unpublished: bool = False) -> QuerySet[Article]:
    """Articles with everything their page shows: author, product, tags, links, FAQ."""
    articles = Article.objects.all() if include_unpublished else Article.objects.published()
    return articles.select_related("author", "featured_product").prefetch_related(
        "tags",
        "further_reading",
        Prefetch(
            "faq_entries",
            queryset=FaqEntry.objects.published().order_by("category__position", "position", "pk"),
        ),
    )


def faq_categories() -> list[FaqCategory]:
    """Categories that have published entries, in order, each with `.published_entries`."""
    categories = FaqCategory.objects.prefetch_related(
        Prefetch("entries", queryset=_published_entries(), to_attr="published_entries")
    ).order_by("position", "name")
    return [category for category in categories if category.published_entries]


def faq_entries_for_product(product) -> list[FaqEntry]:
    """Published FAQ entries attached to a shop product, in FAQ order (one query)."""
    if product is None or product.pk is None:
        return []
    return list(FaqEntry.objects.published().filter(products=product).order_by("category__position", "position", "pk"))


def live_article_version(slug: str) -> tuple | None:
    """What decides an article page's content, in one indexed query: the row's
    timestamps (`updated_at` moves with its links, FAQ and tags; see signals.py) and
    the featured product's shown fields. None when no live article has this slug.

    `(pk, updated_at, published_at, product_id, product_slug, product_name, product_active)`.
    The same filter as `Article.objects.published()`, written as SQL because this runs on
    every article request and the ORM's query compilation costs several times the query.
    """
    article_table = connection.ops.quote_name(Article._meta.db_table)
    product_table = connection.ops.quote_name(Product._meta.db_table)
    sql = (
        f"SELECT a.id, a.updated_at, a.published_at, p.id, p.slug, p.name, p.is_active "  # noqa: S608 - table names only
        f"FROM {article_table} a LEFT OUTER JOIN {product_table} p ON p.id = a.featured_product_id "
        "WHERE a.slug = %s AND a.status = %s AND a.published_at <= %s"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug, Article.Status.PUBLISHED, now])
        row = cursor.fetchone()
    if row is None:
        return None
    aware = [timezone.make_aware(v, UTC) if isinstance(v, datetime) and timezone.is_naive(v) else v for v in row]
    return tuple(aware)


def _one_row(sql: str, params: list) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone())


def listing_version() -> tuple:
    """Changes whenever a list of live articles could: one going live (by time or by
    status), leaving, being edited, or its tags changing (they touch the article).
    SQL for the same reason as `live_article_version`; the filter is `published()`'s."""
    table = connection.ops.quote_name(Article._meta.db_table)
    return _one_row(
        f"SELECT COUNT(id), SUM(id), MAX(updated_at), MAX(published_at) FROM {table} "  # noqa: S608 - table name only
        "WHERE status = %s AND published_at <= %s",
        [Article.Status.PUBLISHED, connection.ops.adapt_datetimefield_value(timezone.now())],
    )


def faq_version() -> tuple:
    """Changes whenever /faq/ could: an entry added, edited, hidden or removed, or a
    category edited (categories touch their entries, see signals.py)."""
    table = connection.ops.quote_name(FaqEntry._meta.db_table)
    return _one_row(
        f"SELECT COUNT(id), SUM(id), MAX(updated_at) FROM {table} WHERE is_published = %s",  # noqa: S608
        [True],
    )


def footer_site_pages() -> list[tuple[str, str]]:
    """(title, URL) of every published site page, in footer order (one query)."""
    pages = SitePage.objects.published().only("title", "slug").order_by("position", "title", "pk")
    return [(page.title, page.get_absolute_url()) for page in pages]


def live_site_page_version(slug: str) -> tuple | None:
    """What decides a published site page, `(pk, updated_at)`, in one query; None when no
    published page has this slug."""
    return SitePage.objects.published().filter(slug=slug).values_list("pk", "updated_at").first()
