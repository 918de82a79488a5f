from django.urls import path

from shop import api, converters  # noqa: F401 - registers the `token` converter

urlpatterns = [
    path("products/", api.ProductListApi.as_view(), name="api-products"),
    path("products/<slug:slug>/", api.ProductDetailApi.as_view(), name="api-product"),
    path("carts/", api.CartCreateApi.as_view(), name="api-carts"),
    path("carts/<token:token>/", api.CartDetailApi.as_view(), name="api-cart"),
    path("carts/<token:token>/lines/", api.CartLinesApi.as_view(), name="api-cart-lines"),
    path("carts/<token:token>/lines/<int:line_id>/", api.CartLineDetailApi.as_view(), name="api-cart-line"),
    path("carts/<token:token>/checkout/", api.CheckoutApi.as_view(), name="api-cart-checkout"),
    path("orders/<token:token>/", api.OrderDetailApi.as_view(), name="api-order"),
    path("shipping-rates/", api.ShippingRatesApi.as_view(), name="api-shipping-rates"),
]
