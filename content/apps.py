from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"

    def ready(self):
        from content import signals  # noqa: F401 - connects the receivers
