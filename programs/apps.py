from importlib import import_module

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Exercise programs"

    def ready(self):
        # Connects the shop's and anymail's signals; only now, because the receivers need the models loaded.
        import_module(f"{self.name}.receivers")
