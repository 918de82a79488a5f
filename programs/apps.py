from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Exercise programs"

    def ready(self):
        # Connects the shop's, billing's and anymail's signals; only now, because the receivers need the models loaded.
        from billing.selectors import register_granted_programs
        from programs import memberships, order_extras, receivers  # noqa: F401
        from shop.hooks import register_order_extras

        # The shop's success page and confirmation email tell the buyer about the program (issue 11, item 2).
        register_order_extras(order_extras.extras_for_order)
        # The membership API lists the programs a subscription's plan grants (issue 13).
        register_granted_programs(memberships.granted_programs)
