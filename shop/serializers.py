"""DRF serializers of the shop API: inputs are validated here, answers are shaped here."""

from decimal import Decimal

from django.templatetags.static import static
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.email_addresses import validate_email_address
from shop.carts import cart_currency, cart_item_count, cart_total
from shop.models import Cart, CartLine, Order, OrderLine, Product


def image_src(product: Product) -> str:
    if not product.image_url:
        return ""
    if product.image_url.startswith(("http://", "https://", "/")):
        return product.image_url
    return static(product.image_url)


class ProductSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True)
    in_stock = serializers.SerializerMethodField()
    max_quantity = serializers.SerializerMethodField(help_text="The most a cart line may hold right now.")
    image = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Product
        fields = ["slug", "name", "sku", "description", "price", "currency", "in_stock", "max_quantity", "image", "url"]

    def get_in_stock(self, product: Product) -> bool:
        return product.stock > 0

    def get_max_quantity(self, product: Product) -> int:
        return min(product.stock, CartLine.MAX_QUANTITY)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"src": {"type": "string"}, "alt": {"type": "string"}},
        }
    )
    def get_image(self, product: Product) -> dict | None:
        src = image_src(product)
        return {"src": src, "alt": product.image_alt} if src else None


class CartLineSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = CartLine
        fields = ["id", "product", "product_name", "quantity", "unit_price", "line_total"]


class CartSerializer(serializers.ModelSerializer):
    lines = CartLineSerializer(many=True, read_only=True)
    total = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    item_count = serializers.SerializerMethodField()
    checked_out = serializers.SerializerMethodField()

    class Meta:
        model = Cart
        fields = ["token", "lines", "item_count", "total", "currency", "checked_out", "created_at"]

    # Documented like the other amounts (a decimal string, "59.00"); OpenApiTypes.DECIMAL said a JSON number.
    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_total(self, cart: Cart) -> str:
        return f"{cart_total(cart):.2f}"

    @extend_schema_field({"type": "string", "nullable": True})
    def get_currency(self, cart: Cart) -> str | None:
        return cart_currency(cart)

    def get_item_count(self, cart: Cart) -> int:
        return cart_item_count(cart)

    def get_checked_out(self, cart: Cart) -> bool:
        return not cart.is_open


class QuantityField(serializers.IntegerField):
    """A whole number: `2` or `"2"`; refuses `2.5`, `true` and `"two"` with a readable message."""

    default_error_messages = {
        "invalid": "The quantity must be a whole number.",
        "min_value": "The quantity must be at least {min_value}.",
        "max_value": "You can buy at most {max_value} of one product in a single order.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class CartLineCreateSerializer(serializers.Serializer):
    product = serializers.SlugField(max_length=200, help_text="The product's slug.")
    quantity = QuantityField(min_value=1, max_value=CartLine.MAX_QUANTITY, default=1)


class CartLineUpdateSerializer(serializers.Serializer):
    quantity = QuantityField(min_value=1, max_value=CartLine.MAX_QUANTITY)


class CheckoutInputSerializer(serializers.Serializer):
    email = serializers.EmailField(
        max_length=254,
        validators=[validate_email_address],
        error_messages={"invalid": "Enter a valid email address, like name@example.com."},
    )
    country = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=100,
        trim_whitespace=True,
        help_text="Where the order ships, an ISO code among SHOP_SHIPPING_COUNTRIES (`GET /api/shipping-rates/` "
        "shows each one's rates); absent: the first of them. Another country: 400 `unsupported_country`.",
    )


class ShippingRatesQuerySerializer(serializers.Serializer):
    country = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="An ISO code among SHOP_SHIPPING_COUNTRIES; absent: the first of them.",
    )
    subtotal = serializers.DecimalField(
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text="The products' total (a cart's `total`): rates free above it are answered at 0.",
    )
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$", required=False, help_text="Only rates in this currency (a cart's `currency`)."
    )


class DeliveryEstimateSerializer(serializers.Serializer):
    minimum = serializers.IntegerField(allow_null=True, help_text="Business days, at the soonest.")
    maximum = serializers.IntegerField(allow_null=True, help_text="Business days, at the latest.")
    text = serializers.CharField(help_text="As the customer reads it: “3–5 business days”.")


class ShippingRateSerializer(serializers.Serializer):
    name = serializers.CharField(source="rate.name")
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="What checkout charges for it.")
    currency = serializers.CharField(source="rate.currency")
    free_above = serializers.DecimalField(
        source="rate.free_above",
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        help_text="Free when the products add up to more than this (before any discount); null: never free.",
    )
    delivery_estimate = serializers.SerializerMethodField()
    taxable = serializers.BooleanField(source="rate.taxable", help_text="Whether sales tax may apply to it.")

    @extend_schema_field(DeliveryEstimateSerializer(allow_null=True))
    def get_delivery_estimate(self, offer) -> dict | None:
        rate = offer.rate
        if not (rate.delivery_min_days or rate.delivery_max_days):
            return None
        return {"minimum": rate.delivery_min_days, "maximum": rate.delivery_max_days, "text": rate.delivery_estimate}


class ShippingRatesSerializer(serializers.Serializer):
    country = serializers.CharField()
    country_name = serializers.CharField()
    rates = ShippingRateSerializer(many=True, help_text="In the order checkout offers them (at most five).")


class OrderLineSerializer(serializers.ModelSerializer):
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = OrderLine
        fields = ["product_name", "sku", "unit_price", "quantity", "line_total"]


class OrderShippingRateSerializer(serializers.Serializer):
    name = serializers.CharField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    delivery_estimate = serializers.CharField(help_text="“3–5 business days”; empty when the rate gave none.")


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    promotion_code = serializers.SerializerMethodField()
    shipping_rate = serializers.SerializerMethodField()
    refunded_total = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "number",
            "token",
            "status",
            "status_display",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "total",
            "currency",
            "promotion_code",
            "shipping_rate",
            "refunded_total",
            "lines",
            "created_at",
            "paid_at",
            "shipped_at",
            "carrier",
            "tracking_number",
        ]

    @extend_schema_field({"type": "string", "nullable": True, "description": "The code the customer typed."})
    def get_promotion_code(self, order: Order) -> str | None:
        return order.promotion_code or None

    @extend_schema_field(OrderShippingRateSerializer(allow_null=True))
    def get_shipping_rate(self, order: Order) -> dict | None:
        """The rate the customer chose, as it was when they paid; null before, or when nothing was offered."""
        if not order.shipping_rate_name:
            return None
        amount = order.shipping_rate_amount if order.shipping_rate_amount is not None else order.shipping_total
        return {
            "name": order.shipping_rate_name,
            "amount": f"{amount:.2f}",
            "delivery_estimate": order.shipping_delivery_estimate,
        }

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_refunded_total(self, order: Order) -> str:
        # Annotated by OrderQuerySet.for_display (no query of its own); the property asks otherwise.
        refunded = order.refunded_total if hasattr(order, "refunded_total") else order.amount_refunded
        return f"{refunded or 0:.2f}"


class CheckoutOutputSerializer(serializers.Serializer):
    checkout_url = serializers.URLField()
    checkout_session_id = serializers.CharField()
    order = OrderSerializer()
