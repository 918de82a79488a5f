from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Memberships"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from billing import stripe_events  # noqa: F401 - registers billing's Stripe event handlers
