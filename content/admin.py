from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.html import format_html

from content.models import Article, FaqCategory, FaqEntry, FaqEntryArticle, FurtherReading, SitePage, Tag

HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class FurtherReadingInline(admin.TabularInline):
    model = FurtherReading
    formfield_overrides = HTTPS_URLS
    extra = 1
    fields = ["position", "title", "url"]
    ordering = ["position", "pk"]


class FaqEntryArticleLinks(admin.TabularInline):
    """Rows named "FAQ entry: … ↔ Article: …", both sides fetched with the rows."""

    model = FaqEntryArticle
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("faqentry", "article")


class ArticleFaqInline(FaqEntryArticleLinks):
    verbose_name = "FAQ entry shown in this article"
    verbose_name_plural = "FAQ entries shown in this article"
    autocomplete_fields = ["faqentry"]


class FaqEntryArticleInline(FaqEntryArticleLinks):
    verbose_name = "article showing this FAQ entry"
    verbose_name_plural = "articles showing this FAQ entry"
    autocomplete_fields = ["article"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "published_at", "is_live_now", "author_display", "updated_at", "preview_link"]
    list_filter = ["status", "tags", "author", "published_at"]
    search_fields = ["title", "summary", "slug", "body_markdown"]
    prepopulated_fields = {"slug": ["title"]}
    formfield_overrides = HTTPS_URLS
    date_hierarchy = "published_at"
    filter_horizontal = ["tags"]
    list_select_related = ["author"]
    readonly_fields = ["preview_link", "reading_minutes", "created_at", "updated_at"]
    inlines = [FurtherReadingInline, ArticleFaqInline]
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body_markdown", "tags"]}),
        ("Publishing", {"fields": ["status", "published_at", "preview_link", "author", "author_name"]}),
        ("Image", {"fields": ["hero_image", "hero_alt"]}),
        ("Search engines", {"fields": ["seo_title", "seo_description", "canonical_url"], "classes": ["collapse"]}),
        ("Shop", {"fields": ["featured_product"]}),
        ("Info", {"fields": ["reading_minutes", "created_at", "updated_at"]}),
    ]

    @admin.display(boolean=True, description="live now")
    def is_live_now(self, obj: Article) -> bool:
        return obj.is_live

    @admin.display(description="preview")
    def preview_link(self, obj: Article) -> str:
        if not obj.pk:
            return "—"
        label = "View on site" if obj.is_live else "Preview (not public)"
        return format_html(
            '<a href="{}?preview=1" target="_blank" rel="noopener">{}</a>', obj.get_absolute_url(), label
        )

    # Without permissions=, Django offers an action to anyone who may see the list (issue 10).
    @admin.action(description="Publish the selected articles (now, unless a time is set)", permissions=["change"])
    def publish(self, request, queryset):
        now = timezone.now()
        updated = queryset.filter(published_at__isnull=True).update(
            status=Article.Status.PUBLISHED, published_at=now, updated_at=now
        )
        updated += queryset.exclude(status=Article.Status.PUBLISHED).update(
            status=Article.Status.PUBLISHED, updated_at=now
        )
        self.message_user(request, f"{updated} article(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish the selected articles (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        updated = queryset.exclude(status=Article.Status.DRAFT).update(
            status=Article.Status.DRAFT, updated_at=timezone.now()
        )
        self.message_user(request, f"{updated} article(s) moved back to draft.", messages.SUCCESS)


class FaqEntryInline(admin.StackedInline):
    model = FaqEntry
    extra = 0
    fields = ["position", "question", "answer_markdown", "is_published"]
    ordering = ["position", "pk"]
    show_change_link = True


@admin.register(FaqCategory)
class FaqCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "slug"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    inlines = [FaqEntryInline]


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "category", "position", "is_published", "updated_at"]
    list_editable = ["position", "is_published"]
    list_filter = ["category", "is_published"]
    list_select_related = ["category"]
    search_fields = ["question", "answer_markdown"]
    filter_horizontal = ["products"]
    ordering = ["category__position", "position", "pk"]
    fields = ["category", "position", "question", "answer_markdown", "is_published", "products"]
    inlines = [FaqEntryArticleInline]


@admin.register(SitePage)
class SitePageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "is_published", "position", "summary", "updated_at", "view_link"]
    list_display_links = ["title"]
    list_editable = ["is_published", "position"]
    list_filter = ["is_published"]
    search_fields = ["title", "slug", "summary", "body_markdown"]
    prepopulated_fields = {"slug": ["title"]}
    ordering = ["position", "title"]
    readonly_fields = ["view_link", "updated_at"]
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body_markdown"]}),
        ("Publishing", {"fields": ["is_published", "position", "view_link", "updated_at"]}),
    ]

    @admin.display(description="page")
    def view_link(self, obj: SitePage) -> str:
        if not obj.pk:
            return "—"
        label = "View on site" if obj.is_published else "Preview (not public)"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.get_absolute_url(), label)

    # Saved one by one, not by a queryset update: each save re-renders nothing new but sends the
    # signal that refreshes the footer every page shows.
    @admin.action(description="Publish the selected pages (and list them in the footer)", permissions=["change"])
    def publish(self, request, queryset):
        pages = list(queryset.filter(is_published=False))
        for page in pages:
            page.is_published = True
            page.save(update_fields=["is_published"])
        self.message_user(request, f"{len(pages)} page(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish the selected pages (off the site and the footer)", permissions=["change"])
    def unpublish(self, request, queryset):
        pages = list(queryset.filter(is_published=True))
        for page in pages:
            page.is_published = False
            page.save(update_fields=["is_published"])
        self.message_user(request, f"{len(pages)} page(s) unpublished.", messages.SUCCESS)
