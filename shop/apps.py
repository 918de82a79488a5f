from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self) -> None:
        from shop import checks, stripe_events  # noqa: F401 - register the settings' checks and the Stripe handlers
