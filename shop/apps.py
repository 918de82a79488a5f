from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self) -> None:
        from shop import checks, stripe_events  # noqa: F401 - register the settings' checks and the Stripe handlers
        from shop.page_cache import show_on_pages

        show_on_pages("shop.Product")  # in every process, so a worker's or a command's save shows at once too
