"""The storefront's public pages: the catalog the home page shows, and the product page.

Both show stock, so both are served from `shop.page_cache` (at most STOCK_SECONDS old), rendered
once for everyone with holes for the visitor's own cart badge, messages and CSRF token. Adding
to the cart (a POST) and a refused quantity are rendered for the visitor alone.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from shop.carts import CartError, add_to_cart, get_cart_for_session
from shop.forms import AddToCartForm
from shop.models import Product
from shop.page_cache import SHARED_CONTEXT, remember_cart_count, session_cart_count, stock_page

AVAILABILITY = {"in": "InStock", "low": "LimitedAvailability", "out": "OutOfStock"}


def with_image(product: Product) -> Product:
    """`product.image_src`: its image as a URL (a static path is resolved to its fingerprinted name)."""
    location = product.image_url.strip()
    product.image_src = location if location.startswith(("https://", "/")) else (static(location) if location else "")
    return product


def _product_structured_data(product: Product, stock_state: str) -> dict:
    """schema.org Product with its Offer, for search engines (rendered as JSON-LD)."""
    image = product.image_src
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": product.sku,
        "description": product.description,
        **({"image": image if image.startswith("https://") else f"{settings.SITE_URL}{image}"} if image else {}),
        "brand": {"@type": "Brand", "name": "Hod & Hod"},
        "offers": {
            "@type": "Offer",
            "url": f"{settings.SITE_URL}{product.get_absolute_url()}",
            "price": str(product.price),
            "priceCurrency": product.currency,
            "availability": f"https://schema.org/{AVAILABILITY[stock_state]}",
        },
    }


def _stock_state(product: Product) -> str:
    if product.stock <= 0:
        return "out"
    return "low" if product.is_low_on_stock else "in"


def storefront_context() -> dict:
    """The catalog as the home page shows it, for every visitor alike (SHARED_CONTEXT's holes);
    the project's home view adds the blog and FAQ (the shop imports no other app)."""
    products = [with_image(product) for product in Product.objects.on_sale()]
    return {**SHARED_CONTEXT, "featured": products[0] if products else None, "products": products}


def _render_product(request: HttpRequest, product: Product, form: AddToCartForm, visitor: dict) -> HttpResponse:
    stock_state = _stock_state(product)
    context = {
        "product": product,
        "form": form,
        "stock_state": stock_state,
        "product_ld": _product_structured_data(product, stock_state),
        **visitor,
    }
    return render(request, "shop/product.html", context)


def _shared_product_page(request: HttpRequest, slug: str) -> HttpResponse:
    product = with_image(get_object_or_404(Product.objects.on_sale(), slug=slug))
    return _render_product(request, product, AddToCartForm(available=product.stock), SHARED_CONTEXT)


def _add_to_cart(request: HttpRequest, slug: str) -> HttpResponse:
    product = with_image(get_object_or_404(Product.objects.on_sale(), slug=slug))
    form = AddToCartForm(request.POST, available=product.stock)
    if form.is_valid():
        cart = get_cart_for_session(request, create=True)
        quantity = form.cleaned_data["quantity"]
        try:
            add_to_cart(cart=cart, product=product, quantity=quantity)
        except CartError as error:
            form.add_error("quantity", error.message)
        else:
            remember_cart_count(request, get_cart_for_session(request))
            messages.success(request, f"Added {quantity} × {product.name} to your cart.")
            return redirect(reverse("shop:cart"), permanent=False)
    # The refusal, for this visitor alone (never cached).
    return _render_product(request, product, form, {"cart_item_count": session_cart_count(request)})


@require_http_methods(["GET", "HEAD", "POST"])
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method == "POST":
        return _add_to_cart(request, slug)
    return stock_page(request, ("product", slug), lambda: _shared_product_page(request, slug))
