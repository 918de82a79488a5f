from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Exercise programs"

    def ready(self):
        # Connects the shop's and anymail's signals; only now, because the receivers need the models loaded.
        from programs import receivers  # noqa: F401
