from django.apps import AppConfig


class HodhodConfig(AppConfig):
    name = "hodhod"
    verbose_name = "Hod & Hod"

    def ready(self) -> None:
        from shop.page_cache import show_on_pages

        # The home and product pages show programs (the free ones, and what a product includes): their edits show
        # at once too (shop.page_cache), from any process: web, worker or management command. Enrollments and
        # deliveries show on no public page.
        show_on_pages("programs.Program", "programs.Step")
