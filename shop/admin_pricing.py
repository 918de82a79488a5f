"""Staff tools for what checkout offers besides the products: shipping rates and promotion codes (issue 12).

A promotion code is made on Stripe (a coupon and a promotion code, shop.promotions) after the save commits;
if Stripe cannot be reached the row says so and reconciliation tries again every five minutes. Stripe never
changes a code's terms once made, so after that only "active" can change here. The list shows what each
code brought in, from the orders it paid, in the list's own query.
"""

from django.contrib import admin, messages
from django.db import transaction

from shop.display import format_money, format_time
from shop.models import PromotionCode, ShippingRate
from shop.promotions import sync_promotion_code, with_redemptions

TERMS = ["code", "percent_off", "amount_off", "currency", "first_order_only", "max_redemptions", "expires_at"]


@admin.register(ShippingRate)
class ShippingRateAdmin(admin.ModelAdmin):
    list_display = ["name", "countries", "amount_display", "free_above_display", "delivery", "taxable", "is_active"]
    list_editable = ["is_active"]
    list_filter = ["is_active", "taxable", "currency"]
    search_fields = ["name", "countries"]
    fieldsets = [
        (None, {"fields": ["name", "countries", "is_active", "position"]}),
        ("Price", {"fields": ["amount", "currency", "free_above", "taxable"]}),
        ("Delivery", {"fields": ["delivery_min_days", "delivery_max_days"]}),
    ]

    @admin.display(description="price", ordering="amount")
    def amount_display(self, rate: ShippingRate) -> str:
        return format_money(rate.amount, rate.currency)

    @admin.display(description="free over")
    def free_above_display(self, rate: ShippingRate) -> str:
        return format_money(rate.free_above, rate.currency) if rate.free_above is not None else "—"

    @admin.display(description="delivery")
    def delivery(self, rate: ShippingRate) -> str:
        return rate.delivery_estimate or "—"


@admin.register(PromotionCode)
class PromotionCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "discount", "first_order_only", "limits", "is_active", "redeemed", "brought_in", "stripe"]
    list_filter = ["is_active", "first_order_only"]
    search_fields = ["code"]
    fields = [*TERMS, "is_active", "stripe_state"]

    def get_queryset(self, request):
        return with_redemptions(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        # Stripe keeps a coupon's and a code's terms as they were made: only "active" can change afterwards.
        return [*TERMS, "stripe_state"] if obj is not None and obj.on_stripe else ["stripe_state"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # switch a code off instead: Stripe and the orders paid with it keep it

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data:
            obj.active_changes += 1  # a new idempotency key for this change of Stripe's promotion code
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: self._sync(request, obj.pk))

    def _sync(self, request, promotion_id: int) -> None:
        if not sync_promotion_code(promotion_id=promotion_id):
            messages.warning(
                request,
                "Saved, but Stripe could not take the change yet: it is retried every five minutes "
                "(see “Stripe” on the code).",
            )

    @admin.display(description="discount")
    def discount(self, promo: PromotionCode) -> str:
        return promo.discount_label

    @admin.display(description="limits")
    def limits(self, promo: PromotionCode) -> str:
        parts = [f"{promo.max_redemptions} uses" if promo.max_redemptions else ""]
        parts.append(f"until {format_time(promo.expires_at)}" if promo.expires_at else "")
        return ", ".join(part for part in parts if part) or "—"

    @admin.display(description="orders paid", ordering="redemptions")
    def redeemed(self, promo: PromotionCode) -> int:
        return promo.redemptions

    @admin.display(description="revenue (before refunds)", ordering="revenue")
    def brought_in(self, promo: PromotionCode) -> str:
        if not promo.redemptions:
            return "—"
        given = format_money(promo.discount_given, promo.revenue_currency)
        return f"{format_money(promo.revenue, promo.revenue_currency)} ({given} off)"

    @admin.display(description="Stripe")
    def stripe(self, promo: PromotionCode) -> str:
        if promo.sync_error:
            return "not synced: retried every five minutes"
        if not promo.on_stripe:
            return "waiting"
        return "synced" if promo.stripe_active == promo.is_active else "change waiting"

    @admin.display(description="Stripe")
    def stripe_state(self, promo: PromotionCode) -> str:
        if promo.pk is None:
            return "Made on Stripe when you save."
        state = self.stripe(promo)
        ids = f" — coupon {promo.stripe_coupon_id}, promotion code {promo.stripe_promotion_code_id}"
        error = f" — {promo.sync_error}" if promo.sync_error else ""
        return f"{state}{ids if promo.on_stripe else ''}{error}"
