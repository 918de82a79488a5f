from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Exercise programs"

    def ready(self):
        from programs import receivers  # noqa: F401 - connects the shop and anymail signals
