from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from content.rendering import reading_minutes, render_markdown

RESERVED_SLUGS = {"feed"}  # /blog/feed/ is the RSS feed, not an article


def unique_slug(model: type[models.Model], text: str, *, exclude_pk=None, max_length: int = 200) -> str:
    """`slugify(text)`, made unique in `model` with -2, -3, … when taken."""
    base = (slugify(text) or "item")[: max_length - 6].strip("-")
    slug, n = base, 2
    taken = model._default_manager.exclude(pk=exclude_pk)
    while slug in RESERVED_SLUGS or taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def validate_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(f"“{value}” is taken by a page of the blog; choose another slug.")


def validate_image_location(value: str) -> None:
    """A hero image is an http(s) URL or a site path ("/static/…"), nothing else."""
    if not (value.startswith(("https://", "http://")) or (value.startswith("/") and not value.startswith("//"))):
        raise ValidationError("Use an http(s) URL or a path on this site starting with “/”.")


class Tag(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Tag, self.name, exclude_pk=self.pk, max_length=60)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("content:tag", args=[self.slug])


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        """Live now: published and due. Evaluated per query, so a scheduled article
        goes live at its `published_at` with no job to run."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())

    def for_listing(self) -> "ArticleQuerySet":
        return self.select_related("author").prefetch_related("tags").order_by("-published_at", "-pk")


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        blank=True,
        validators=[validate_not_reserved],
        help_text="Made from the title when left empty.",
    )
    summary = models.TextField(max_length=500, help_text="One or two sentences for lists, feeds and search results.")
    body_markdown = models.TextField("body (Markdown)")
    body_html = models.TextField(editable=False, default="", help_text="Rendered and sanitised when saved.")
    reading_minutes = models.PositiveSmallIntegerField(editable=False, default=1)
    hero_image = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_image_location],
        help_text="An http(s) URL or a site path such as /static/img/hero.jpg.",
    )
    hero_alt = models.CharField("hero image alt text", max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    author_name = models.CharField(
        max_length=120, blank=True, help_text="Shown as the author; defaults to the author user's full name."
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="A future time schedules the article; it goes live by itself."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    seo_title = models.CharField("SEO title", max_length=70, blank=True, help_text="Defaults to the title.")
    seo_description = models.CharField(
        "SEO description", max_length=160, blank=True, help_text="Defaults to the summary."
    )
    canonical_url = models.URLField(
        "canonical URL", blank=True, help_text="Only when the article first appeared elsewhere."
    )
    featured_product = models.ForeignKey(
        "shop.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["status", "published_at"], name="content_article_live")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Article, self.title, exclude_pk=self.pk)
        if self.status == self.Status.PUBLISHED and not self.published_at:
            self.published_at = timezone.now()
        self.body_html = render_markdown(self.body_markdown)
        self.reading_minutes = reading_minutes(self.body_markdown)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "body_html", "reading_minutes", "updated_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("content:article", args=[self.slug])

    def clean(self):
        if self.hero_image and not self.hero_alt:
            raise ValidationError({"hero_alt": "Describe the hero image for readers who cannot see it."})
        if self.status == self.Status.PUBLISHED and not self.published_at:
            self.published_at = timezone.now()

    @property
    def is_live(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def author_display(self) -> str:
        if self.author_name:
            return self.author_name
        if self.author_id and self.author:
            return self.author.get_full_name() or self.author.get_username()
        return "Hod & Hod"

    @property
    def page_title(self) -> str:
        return self.seo_title or self.title

    @property
    def page_description(self) -> str:
        return self.seo_description or self.summary

    @property
    def canonical(self) -> str:
        return self.canonical_url or f"{settings.SITE_URL}{self.get_absolute_url()}"

    @property
    def hero_image_absolute(self) -> str:
        if self.hero_image.startswith("/"):
            return f"{settings.SITE_URL}{self.hero_image}"
        return self.hero_image


class FurtherReading(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="further_reading")
    title = models.CharField(max_length=200)
    url = models.URLField("URL", max_length=500)
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first.")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "further reading link"

    def __str__(self) -> str:
        return self.title


class FaqCategory(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "FAQ category"
        verbose_name_plural = "FAQ categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('content:faq')}#{self.slug}"


class FaqEntryQuerySet(models.QuerySet):
    def published(self) -> "FaqEntryQuerySet":
        return self.filter(is_published=True)


class FaqEntry(models.Model):
    category = models.ForeignKey(FaqCategory, on_delete=models.PROTECT, related_name="entries")
    question = models.CharField(max_length=300)
    answer_markdown = models.TextField("answer (Markdown)")
    answer_html = models.TextField(editable=False, default="")
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first within the category.")
    is_published = models.BooleanField("published", default=True)
    articles = models.ManyToManyField(
        Article,
        blank=True,
        through="FaqEntryArticle",
        related_name="faq_entries",
        help_text="Also shown inside these articles.",
    )
    products = models.ManyToManyField(
        "shop.Product", blank=True, related_name="faq_entries", help_text="Also shown on these product pages."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = FaqEntryQuerySet.as_manager()

    class Meta:
        ordering = ["category__position", "position", "pk"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question

    def save(self, *args, **kwargs):
        self.answer_html = render_markdown(self.answer_markdown)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{reverse('content:faq')}#faq-{self.pk}"


class FaqEntryArticle(models.Model):
    """A FAQ entry shown inside an article. Its own model (on the table Django made for the plain
    many-to-many) only so the admin can name a row: "FaqEntry_articles object (1)" told staff
    nothing (issue 11)."""

    faqentry = models.ForeignKey(
        FaqEntry, on_delete=models.CASCADE, related_name="article_links", verbose_name="FAQ entry"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="faq_links")

    class Meta:
        db_table = "content_faqentry_articles"
        unique_together = [("faqentry", "article")]
        verbose_name = "FAQ entry shown in an article"
        verbose_name_plural = "FAQ entries shown in articles"

    def __str__(self) -> str:
        return f"FAQ entry: {self.faqentry} ↔ Article: {self.article}"


class SitePageQuerySet(models.QuerySet):
    def published(self) -> "SitePageQuerySet":
        return self.filter(is_published=True)


class SitePage(models.Model):
    """A page of the shop's fine print (shipping, returns, warranty, contact, privacy, terms),
    written in the admin, served at /pages/<slug>/ and listed in every page's footer."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=100, unique=True, help_text="The page's address: /pages/<slug>/.")
    summary = models.CharField(
        max_length=160, help_text="One sentence: the page's meta description for search results."
    )
    body_markdown = models.TextField("body (Markdown)")
    body_html = models.TextField(editable=False, default="", help_text="Rendered and sanitised when saved.")
    is_published = models.BooleanField("published", default=False, help_text="Public, and listed in the footer.")
    position = models.PositiveIntegerField(default=0, help_text="Order in the footer: lower comes first.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = SitePageQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]
        verbose_name = "site page"

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(SitePage, self.title, exclude_pk=self.pk, max_length=100)
        self.body_html = render_markdown(self.body_markdown)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "body_html", "updated_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("content:site_page", args=[self.slug])


def touch_articles(*, pks=None, faq_entry: FaqEntry | None = None, tag: Tag | None = None) -> None:
    """Move `updated_at` of the articles that show a changed link, FAQ entry or tag."""
    articles = Article.objects.all()
    if pks is not None:
        articles = articles.filter(pk__in=[pk for pk in pks if pk is not None])
    elif faq_entry is not None:
        articles = articles.filter(faq_entries=faq_entry)
    elif tag is not None:
        articles = articles.filter(tags=tag)
    else:
        return
    Article.objects.filter(pk__in=articles.values("pk")).update(updated_at=timezone.now())
