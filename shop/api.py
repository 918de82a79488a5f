"""The shop's JSON API (the README's contract): catalog, carts by token, checkout, order status by token.

Views stay thin: validate with a serializer, call one service or selector, answer.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api import error_responses
from core.errors import NotFound, Refusal
from shop.carts import add_to_cart, create_cart, get_cart_by_token, remove_line, set_line_quantity
from shop.checkout import start_checkout
from shop.limits import client_hash
from shop.models import Cart, CartLine, Order, Product
from shop.page_cache import STOCK_SECONDS, stock_answer
from shop.selectors import cart_line, order_for_token
from shop.serializers import (
    CartLineCreateSerializer,
    CartLineUpdateSerializer,
    CartSerializer,
    CheckoutInputSerializer,
    CheckoutOutputSerializer,
    OrderSerializer,
    ProductSerializer,
    ShippingRatesQuerySerializer,
    ShippingRatesSerializer,
)
from shop.shipping import checkout_country, country_name, offered_rates


def _cart_or_404(token: str) -> Cart:
    try:
        return get_cart_by_token(token)
    except Cart.DoesNotExist:
        raise NotFound("No cart has this token.") from None


def _cart_answer(cart: Cart, status_code: int = 200) -> Response:
    return Response(CartSerializer(get_cart_by_token(cart.token)).data, status=status_code)


STOCK_NOTE = f"Cached: the stock fields are at most {STOCK_SECONDS} s old; an ETag answers If-None-Match."


@extend_schema(
    tags=["shop"], summary="Products on sale", description=STOCK_NOTE, responses={200: ProductSerializer(many=True)}
)
class ProductListApi(generics.ListAPIView):
    serializer_class = ProductSerializer
    queryset = Product.objects.on_sale()

    def list(self, request, *args, **kwargs):
        build = lambda: super(ProductListApi, self).list(request, *args, **kwargs).data  # noqa: E731
        return stock_answer(request, ("products", request.query_params.get("page", "")), build)


@extend_schema(
    tags=["shop"],
    summary="One product on sale",
    description=STOCK_NOTE,
    responses={200: ProductSerializer, **error_responses(404)},
)
class ProductDetailApi(generics.RetrieveAPIView):
    serializer_class = ProductSerializer
    queryset = Product.objects.on_sale()
    lookup_field = "slug"

    def retrieve(self, request, *args, **kwargs):
        build = lambda: super(ProductDetailApi, self).retrieve(request, *args, **kwargs).data  # noqa: E731
        return stock_answer(request, ("product", kwargs["slug"]), build)


class CartCreateApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "carts"

    @extend_schema(
        tags=["shop"],
        summary="Start an anonymous cart",
        description="Keep the answered `token`: it is the only key to this cart.",
        request=None,
        responses={201: CartSerializer, **error_responses(429)},
    )
    def post(self, request):
        return _cart_answer(create_cart(), status.HTTP_201_CREATED)


class CartDetailApi(APIView):
    @extend_schema(tags=["shop"], summary="A cart", responses={200: CartSerializer, **error_responses(404)})
    def get(self, request, token: str):
        return Response(CartSerializer(_cart_or_404(token)).data)


class CartLinesApi(APIView):
    @extend_schema(
        tags=["shop"],
        summary="Add a product to a cart",
        description="Adds to the line of that product if there is one. Prices come from the catalog.",
        request=CartLineCreateSerializer,
        responses={201: CartSerializer, **error_responses(400, 404, 409, 415)},
    )
    def post(self, request, token: str):
        cart = _cart_or_404(token)
        data = CartLineCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = Product.objects.filter(slug=data.validated_data["product"]).first()
        if product is None:
            raise Refusal(
                "unknown_product",
                f"There is no product called {data.validated_data['product']!r}.",
                fields={"product": ["Unknown product."]},
            )
        add_to_cart(cart=cart, product=product, quantity=data.validated_data["quantity"])
        return _cart_answer(cart, status.HTTP_201_CREATED)


class CartLineDetailApi(APIView):
    def _line(self, token: str, line_id: int) -> CartLine:
        cart = _cart_or_404(token)
        line = cart_line(cart, line_id)
        if line is None:
            raise NotFound("This cart has no such line.")
        return line

    @extend_schema(
        tags=["shop"],
        summary="Change a line's quantity",
        request=CartLineUpdateSerializer,
        responses={200: CartSerializer, **error_responses(400, 404, 409, 415)},
    )
    def patch(self, request, token: str, line_id: int):
        line = self._line(token, line_id)
        data = CartLineUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        set_line_quantity(line=line, quantity=data.validated_data["quantity"])
        return _cart_answer(line.cart)

    @extend_schema(
        tags=["shop"],
        summary="Remove a line",
        request=None,
        responses={200: CartSerializer, **error_responses(404, 409)},
    )
    def delete(self, request, token: str, line_id: int):
        line = self._line(token, line_id)
        remove_line(line=line)
        return _cart_answer(line.cart)


class CheckoutApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "checkout"

    @extend_schema(
        tags=["shop"],
        summary="Check a cart out",
        description=(
            "Reserves the cart's units in a new order (`pending_payment`) and opens a Stripe Checkout "
            "Session; send the customer to `checkout_url`. The order's `token` is the key to "
            "`/api/orders/<token>/` and `/orders/<token>/`. Checkouts are limited per client address and per "
            "email (`too_many_checkouts`, 429 with Retry-After), and so are the units one client or one email "
            "holds in unpaid orders (`too_many_reserved`, 409). `country` (default: the first of "
            "SHOP_SHIPPING_COUNTRIES) is where it ships: Stripe's page asks for an address there and offers that "
            "country's shipping rates (`GET /api/shipping-rates/`); a country the shop does not ship to is 400 "
            "`unsupported_country`. The order's `total` is its `subtotal` until it is paid: the shipping, any "
            "promotion code and any tax are settled on Stripe's page."
        ),
        request=CheckoutInputSerializer,
        responses={
            201: CheckoutOutputSerializer,
            **error_responses(400, 404, 409, 415, 429),
            503: OpenApiResponse(description="Stripe could not be reached; nothing was reserved or charged."),
        },
    )
    def post(self, request, token: str):
        cart = _cart_or_404(token)
        data = CheckoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = start_checkout(
            cart=cart,
            email=data.validated_data["email"],
            client=client_hash(request),
            country=data.validated_data.get("country"),
        )
        order = Order.objects.for_display().get(pk=result.order.pk)
        body = {"checkout_url": result.checkout_url, "checkout_session_id": result.session_id, "order": order}
        return Response(CheckoutOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class OrderDetailApi(APIView):
    @extend_schema(
        tags=["shop"], summary="An order, by its token", responses={200: OrderSerializer, **error_responses(404)}
    )
    def get(self, request, token: str):
        order = order_for_token(token)
        if order is None:
            raise NotFound("No order has this token.")
        return Response(OrderSerializer(order).data)


class ShippingRatesApi(APIView):
    @extend_schema(
        tags=["shop"],
        summary="The shipping rates checkout offers a country",
        description=(
            "What a checkout to `country` will offer on Stripe's page, in that order (at most five per currency): "
            "each rate's `amount` is what it costs on an order of `subtotal` (a rate free above a subtotal is 0 "
            "when the products add up to more than that, before any discount; without `subtotal`, every rate at "
            "its own amount, with `free_above`). Tax, when the shop collects it, is added on Stripe's page. A "
            "country the shop does not ship to is 400 `unsupported_country`."
        ),
        parameters=[
            OpenApiParameter("country", str, description="ISO code, e.g. `CA`; default: the shop's first country."),
            OpenApiParameter("subtotal", str, description="The products' total, e.g. `118.00` (a cart's `total`)."),
            OpenApiParameter("currency", str, description="Only rates in this currency, e.g. `USD`."),
        ],
        responses={200: ShippingRatesSerializer, **error_responses(400)},
    )
    def get(self, request):
        query = ShippingRatesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        country = checkout_country(query.validated_data.get("country"))
        rates = offered_rates(
            country=country,
            currency=query.validated_data.get("currency"),
            subtotal=query.validated_data.get("subtotal"),
        )
        body = {"country": country, "country_name": country_name(country), "rates": rates}
        return Response(ShippingRatesSerializer(body).data)
