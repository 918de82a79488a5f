from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Customer accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts import receivers, sessions  # noqa: F401 - connects the receivers
        from billing.customer import register_signed_in_customer

        register_signed_in_customer(sessions.signed_in_email)
