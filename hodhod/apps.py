from django.apps import AppConfig


class HodhodConfig(AppConfig):
    name = "hodhod"
    verbose_name = "Hod & Hod"
