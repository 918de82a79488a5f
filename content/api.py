"""Read-only JSON API of the blog and FAQ (`/api/articles/`, `/api/faqs/`)."""

from django.http import Http404
from django.middleware.http import ConditionalGetMiddleware
from django.utils.decorators import decorator_from_middleware, method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from content.models import Article, FaqCategory, FaqEntry, FurtherReading, Tag
from content.selectors import article_detail_queryset, faq_categories, published_articles
from hodhod.api import ApiError, error_responses

MAX_SEARCH_LENGTH = 100

# A strong ETag from the JSON body and 304 on If-None-Match (the body is rendered first:
# the saving is bandwidth, and the rendering itself is cheap — HTML is stored).
conditional_get = method_decorator(decorator_from_middleware(ConditionalGetMiddleware), name="dispatch")


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


@conditional_get
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

    def get_queryset(self):
        query = ArticleListQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)  # 400 in the one error shape
        search, tag_slug = query.validated_data.get("search", ""), query.validated_data.get("tag", "")
        tag = None
        if tag_slug:
            tag = Tag.objects.filter(slug=tag_slug).first()
            if tag is None:
                raise ApiError(code="not_found", message="No such tag.", status_code=404)
        return published_articles(tag=tag, search=search)


@conditional_get
@extend_schema(tags=["content"], responses={200: ArticleDetailSerializer, **error_responses(404)})
class ArticleDetailApi(generics.RetrieveAPIView):
    """One published article: rendered HTML, tags, further reading and its FAQ entries."""

    serializer_class = ArticleDetailSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return article_detail_queryset()

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            raise ApiError(code="not_found", message="No such article.", status_code=404) from None


@conditional_get
@extend_schema(tags=["content"], responses={200: FaqCategorySerializer(many=True)})
class FaqListApi(APIView):
    """Published FAQ entries grouped by category, in order."""

    def get(self, request):
        return Response(FaqCategorySerializer(faq_categories(), many=True).data)
