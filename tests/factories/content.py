"""factory_boy factories for the content app."""

from datetime import timedelta

import factory
from django.utils import timezone

from content.models import Article, FaqCategory, FaqEntry, FurtherReading, SitePage, Tag

__all__ = [
    "ArticleFactory",
    "FaqCategoryFactory",
    "FaqEntryFactory",
    "FurtherReadingFactory",
    "SitePageFactory",
    "TagFactory",
]


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article (yesterday); `status="draft"` or a future `published_at` for others."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Article number {n}")
    summary = factory.LazyAttribute(lambda o: f"What {o.title} is about.")
    body_markdown = "Some **Markdown** text.\n\n- one\n- two\n"
    author_name = "Dana Writer"
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.add(*extracted)


class FurtherReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FurtherReading

    article = factory.SubFactory(ArticleFactory)
    title = factory.Sequence(lambda n: f"Further reading {n}")
    url = factory.Sequence(lambda n: f"https://example.org/reading/{n}")
    position = factory.Sequence(lambda n: n)


class FaqCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqCategory

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    position = factory.Sequence(lambda n: n)


class FaqEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqEntry
        skip_postgeneration_save = True

    category = factory.SubFactory(FaqCategoryFactory)
    question = factory.Sequence(lambda n: f"Question number {n}?")
    answer_markdown = "The *answer*."
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def articles(self, create, extracted, **kwargs):
        if create and extracted:
            self.articles.add(*extracted)

    @factory.post_generation
    def products(self, create, extracted, **kwargs):
        if create and extracted:
            self.products.add(*extracted)


class SitePageFactory(factory.django.DjangoModelFactory):
    """A published site page; `is_published=False` for a draft."""

    class Meta:
        model = SitePage

    title = factory.Sequence(lambda n: f"Site page {n}")
    slug = factory.Sequence(lambda n: f"site-page-{n}")
    summary = factory.LazyAttribute(lambda o: f"What {o.title} says.")
    body_markdown = "Some **fine print**.\n\n- one\n- two\n"
    is_published = True
    position = factory.Sequence(lambda n: n)
