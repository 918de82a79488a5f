from django.urls import path

from shop import converters, views  # noqa: F401 - registers the <token:…> converter

app_name = "shop"
urlpatterns: list = [
    path("shop/<slug:slug>/", views.product_detail, name="product"),
    path("cart/", views.cart, name="cart"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("checkout/cancel/", views.checkout_cancel, name="checkout_cancel"),
    path("orders/<token:token>/", views.order_status, name="order"),
]
