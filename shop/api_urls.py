from django.urls import path

from shop import api

urlpatterns = [
    path("products/", api.ProductListApi.as_view(), name="api-products"),
    path("products/<slug:slug>/", api.ProductDetailApi.as_view(), name="api-product"),
    path("carts/", api.CartCreateApi.as_view(), name="api-carts"),
    path("carts/<str:token>/", api.CartDetailApi.as_view(), name="api-cart"),
    path("carts/<str:token>/lines/", api.CartLinesApi.as_view(), name="api-cart-lines"),
    path("carts/<str:token>/lines/<int:line_id>/", api.CartLineDetailApi.as_view(), name="api-cart-line"),
    path("carts/<str:token>/checkout/", api.CheckoutApi.as_view(), name="api-cart-checkout"),
    path("orders/<str:token>/", api.OrderDetailApi.as_view(), name="api-order"),
]
