from django.urls import path  # noqa: F401

from shop.webhooks import stripe_webhook

app_name = "shop"
urlpatterns: list = [
    path("stripe/webhook/", stripe_webhook, name="stripe-webhook"),
]
