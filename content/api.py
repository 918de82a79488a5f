"""Read-only JSON API of the blog and FAQ (`/api/articles/`, `/api/faqs/`)."""

from collections.abc import Callable

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.utils.cache import parse_etags
from django.utils.http import quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from content.caching import PAGE_CACHE_SECONDS, recent_version, version_key
from content.models import Article, FaqCategory, FaqEntry, FurtherReading, Tag
from content.selectors import (
    article_detail_queryset,
    faq_categories,
    faq_version,
    listing_version,
    live_article_version,
    published_articles,
)
from core.api import error_responses
from core.errors import NotFound

MAX_SEARCH_LENGTH = 100


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["name", "slug"]


class FurtherReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = FurtherReading
        fields = ["title", "url"]


class FaqEntrySerializer(serializers.ModelSerializer):
    answer_html = serializers.CharField(help_text="Sanitised HTML rendered from the Markdown answer.")

    class Meta:
        model = FaqEntry
        fields = ["id", "question", "answer_html"]


class ArticleSummarySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_display")
    tags = TagSerializer(many=True)
    url = serializers.CharField(source="get_absolute_url", help_text="The article's page on this site.")

    class Meta:
        model = Article
        fields = ["slug", "title", "summary", "author", "published_at", "updated_at", "reading_minutes", "tags", "url"]


class ArticleDetailSerializer(ArticleSummarySerializer):
    body_html = serializers.CharField(help_text="Sanitised HTML rendered from the Markdown body.")
    further_reading = FurtherReadingSerializer(many=True)
    faq_entries = FaqEntrySerializer(many=True)
    canonical_url = serializers.CharField(source="canonical")
    featured_product = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta(ArticleSummarySerializer.Meta):
        fields = [
            *ArticleSummarySerializer.Meta.fields,
            "body_html",
            "hero_image",
            "hero_alt",
            "seo_title",
            "seo_description",
            "canonical_url",
            "featured_product",
            "further_reading",
            "faq_entries",
        ]


class FaqCategorySerializer(serializers.ModelSerializer):
    entries = FaqEntrySerializer(many=True, source="published_entries")

    class Meta:
        model = FaqCategory
        fields = ["name", "slug", "entries"]


class ArticleListQuery(serializers.Serializer):
    """The list's query parameters (CharField refuses NUL characters as well)."""

    search = serializers.CharField(max_length=MAX_SEARCH_LENGTH, required=False, allow_blank=True)
    tag = serializers.SlugField(max_length=60, required=False, allow_blank=True)


class ArticlePagination(PageNumberPagination):
    page_size = 20


def versioned_response(request, version: tuple, build: Callable[[], object], *params: str) -> HttpResponse:
    """The API's side of content/caching.py: ETag from the content version (304 without
    serialising anything), the serialised data cached under it. `params` are the query
    parameters that change the answer; no other query string can multiply cache keys."""
    # Paginated answers hold absolute next/previous links: the host is part of the key.
    where = request.build_absolute_uri(request.path)
    key = version_key(where, [request.query_params.get(name, "") for name in params], version)
    etag = quote_etag(key)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=0, must-revalidate"}
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        return Response(status=304, headers=headers)
    body = cache.get(f"content:api:{key}:json")
    if body is None:
        body = JSONRenderer().render(build())  # rendered once: a hit only sends the bytes
        cache.set(f"content:api:{key}:json", body, timeout=PAGE_CACHE_SECONDS)
    return HttpResponse(body, content_type="application/json", headers=headers)


@extend_schema(
    tags=["content"],
    parameters=[
        OpenApiParameter("tag", OpenApiTypes.STR, description="Only articles with this tag slug."),
        OpenApiParameter(
            "search", OpenApiTypes.STR, description=f"Words in the title or summary (≤ {MAX_SEARCH_LENGTH} chars)."
        ),
    ],
    responses={200: ArticleSummarySerializer(many=True), **error_responses(400, 404)},
)
class ArticleListApi(generics.ListAPIView):
    """Published articles, newest first, paginated."""

    serializer_class = ArticleSummarySerializer
    pagination_class = ArticlePagination

    def list(self, request, *args, **kwargs):
        query = ArticleListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)  # 400 in the one error shape
        self.search = query.validated_data.get("search", "")
        self.tag = None
        if tag_slug := query.validated_data.get("tag", ""):
            self.tag = Tag.objects.filter(slug=tag_slug).first()
            if self.tag is None:
                raise NotFound("No such tag.")
        version = (*recent_version("listing", listing_version), self.tag.pk if self.tag else None)
        build = lambda: super(ArticleListApi, self).list(request, *args, **kwargs).data  # noqa: E731
        return versioned_response(request, version, build, "page", "tag", "search")

    def get_queryset(self):
        return published_articles(tag=getattr(self, "tag", None), search=getattr(self, "search", ""))


@extend_schema(tags=["content"], responses={200: ArticleDetailSerializer, **error_responses(404)})
class ArticleDetailApi(generics.RetrieveAPIView):
    """One published article: rendered HTML, tags, further reading and its FAQ entries."""

    serializer_class = ArticleDetailSerializer
    lookup_field = "slug"

    def retrieve(self, request, *args, **kwargs):
        version = recent_version(f"article:{kwargs['slug']}", lambda: live_article_version(kwargs["slug"]))
        if version is None:
            raise NotFound("No such article.")
        build = lambda: super(ArticleDetailApi, self).retrieve(request, *args, **kwargs).data  # noqa: E731
        return versioned_response(request, version, build)

    def get_queryset(self):
        return article_detail_queryset()

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            raise NotFound("No such article.") from None


@extend_schema(tags=["content"], responses={200: FaqCategorySerializer(many=True)})
class FaqListApi(APIView):
    """Published FAQ entries grouped by category, in order."""

    def get(self, request):
        build = lambda: FaqCategorySerializer(faq_categories(), many=True).data  # noqa: E731
        return versioned_response(request, recent_version("faq", faq_version), build)
