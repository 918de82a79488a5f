"""URL converters of billing. Subscription tokens are `secrets.token_urlsafe` strings: anything else is a 404
before it reaches the database (PostgreSQL refuses NUL bytes, and nobody needs a 5 kB lookup)."""

from django.urls import register_converter


class SubscriptionTokenConverter:
    regex = r"[A-Za-z0-9_-]{8,128}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SubscriptionTokenConverter, "subscription_token")
