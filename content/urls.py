from django.contrib.sitemaps.views import sitemap
from django.urls import path

from content import feeds, views
from content.sitemaps import SITEMAPS

app_name = "content"
urlpatterns = [
    path("blog/", views.article_list, name="article_list"),
    path("blog/feed/", feeds.ArticleFeed(), name="feed_rss"),
    path("blog/feed/atom/", feeds.ArticleAtomFeed(), name="feed_atom"),
    path("blog/tag/<slug:tag_slug>/", views.article_list, name="tag"),
    path("blog/<slug:slug>/", views.article_detail, name="article"),
    path("faq/", views.faq, name="faq"),
    path("pages/<slug:slug>/", views.site_page, name="site_page"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
]
