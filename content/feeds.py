from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from content.models import Article
from content.selectors import published_articles

FEED_LENGTH = 20


class ArticleFeed(Feed):
    """RSS 2.0 of the newest published articles."""

    title = "Hod & Hod blog"
    link = reverse_lazy("content:article_list")
    description = "Foot strength, posture and back pain: notes from the makers of the FoosFoot."
    feed_url = reverse_lazy("content:feed_rss")

    def items(self):
        return published_articles()[:FEED_LENGTH]

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return item.summary

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.updated_at

    def item_author_name(self, item: Article) -> str:
        return item.author_display

    def item_categories(self, item: Article) -> list[str]:
        return [tag.name for tag in item.tags.all()]


class ArticleAtomFeed(ArticleFeed):
    feed_type = Atom1Feed
    subtitle = ArticleFeed.description
    feed_url = reverse_lazy("content:feed_atom")
