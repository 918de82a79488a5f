from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"

    def ready(self):
        from content import signals  # noqa: F401 - connects the receivers
        from shop.page_cache import show_on_pages

        # The home and product pages show articles, FAQ entries and the footer's site pages: their edits show there
        # at once too (shop.page_cache), whichever process saves them. The content pages follow their versions.
        show_on_pages(
            "content.Article",
            "content.Tag",
            "content.FaqEntry",
            "content.FaqCategory",
            "content.FaqEntryArticle",
            "content.FurtherReading",
            "content.SitePage",
        )
