from django.urls import path

from content import api

urlpatterns = [
    path("articles/", api.ArticleListApi.as_view(), name="content-article-list"),
    path("articles/<slug:slug>/", api.ArticleDetailApi.as_view(), name="content-article-detail"),
    path("faqs/", api.FaqListApi.as_view(), name="content-faq-list"),
]
