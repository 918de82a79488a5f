from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self) -> None:
        from shop import stripe_events  # noqa: F401 - registers the shop's Stripe event handlers
