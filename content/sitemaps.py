from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from content.models import Article, FaqEntry, SitePage
from content.selectors import published_articles
from shop.models import Product


class ArticleSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.7

    def items(self):
        return published_articles().select_related(None).prefetch_related(None).only("slug", "updated_at")

    def lastmod(self, item: Article):
        return item.updated_at


class PageSitemap(Sitemap):
    """The home page (the shop's front door), the blog index and the FAQ page."""

    changefreq = "weekly"

    def items(self) -> list[str]:
        return ["home", "content:article_list", "content:faq"]

    def location(self, item: str) -> str:
        return reverse(item)

    def priority(self, item: str) -> float:
        return 1.0 if item == "home" else 0.5

    def lastmod(self, item: str):
        if item == "home":
            return None  # composed of products, articles and FAQ: no one date says when it changed
        if item == "content:faq":
            return FaqEntry.objects.published().aggregate(last=Max("updated_at"))["last"]
        return published_articles().aggregate(last=Max("updated_at"))["last"]


class SitePageSitemap(Sitemap):
    """Published site pages: shipping, returns, warranty, contact, privacy, terms."""

    changefreq = "monthly"
    priority = 0.4

    def items(self):
        return SitePage.objects.published().only("slug", "updated_at").order_by("position", "title", "pk")

    def lastmod(self, item: SitePage):
        return item.updated_at


class ProductSitemap(Sitemap):
    """Active shop products, at their page (`Product.get_absolute_url()`, `/shop/<slug>/`)."""

    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Product.objects.on_sale().only("slug").order_by("position", "pk")


SITEMAPS = {"blog": ArticleSitemap, "pages": PageSitemap, "products": ProductSitemap, "site-pages": SitePageSitemap}
