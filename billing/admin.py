"""Staff tools for memberships: plans (synced to Stripe on save), subscriptions with their invoices, history and
emails, the figures of the month, and actions behind their own permissions (cancel, refund)."""

import logging

import stripe
from django.contrib import admin, messages
from django.db import transaction

from billing import staff
from billing.errors import MembershipError
from billing.models import BillingCustomer, Invoice, MembershipEmail, Plan, Subscription, SubscriptionEvent
from billing.plans import portal_configuration_id, sync_plan
from billing.reconciliation import resync
from billing.selectors import membership_figures
from core.redaction import loggable

logger = logging.getLogger(__name__)


def _sync_after_commit(plan_id: int) -> None:
    try:
        sync_plan(plan_id=plan_id)
        portal_configuration_id()
    except stripe.StripeError as exc:  # shown as "not in Stripe yet"; `sync_plans` or the next save tries again
        logger.error("syncing plan %s with Stripe failed: %s", plan_id, loggable(exc))


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "price", "currency", "interval", "trial_days", "is_active", "in_stripe"]
    list_filter = ["is_active", "interval"]
    search_fields = ["name", "slug", "stripe_price_id"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["stripe_product_id", "stripe_price_id", "stripe_price_terms", "synced_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "is_active", "position"]}),
        ("Price", {"fields": ["price", "currency", "interval", "trial_days"]}),
        ("Stripe", {"fields": readonly_fields}),
    ]
    actions = ["sync_with_stripe"]

    @admin.display(boolean=True, description="in Stripe")
    def in_stripe(self, plan: Plan) -> bool:
        return not plan.needs_new_price

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # After commit: Stripe is not called while the admin's transaction holds the row.
        transaction.on_commit(lambda: _sync_after_commit(obj.pk))

    @admin.action(description="Sync selected plans with Stripe (product, price, portal)", permissions=["change"])
    def sync_with_stripe(self, request, queryset):
        try:
            for plan in queryset.order_by("pk"):
                sync_plan(plan_id=plan.pk)
            portal_configuration_id()
        except stripe.StripeError as exc:
            self.message_user(request, f"Stripe refused or could not be reached: {loggable(exc)}", messages.ERROR)
            return
        self.message_user(request, f"{queryset.count()} plan(s) in line with Stripe.")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class InvoiceInline(ReadOnlyInline):
    model = Invoice
    fields = ["number", "status", "amount_due", "amount_paid", "amount_refunded", "currency", "period_end", "paid_at"]
    readonly_fields = fields


class SubscriptionEventInline(ReadOnlyInline):
    model = SubscriptionEvent
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "message"]
    readonly_fields = fields


class MembershipEmailInline(ReadOnlyInline):
    model = MembershipEmail
    verbose_name_plural = "Membership emails"
    fields = ["kind", "created_at", "sent", "attempts", "last_error"]
    readonly_fields = fields

    @admin.display(description="sent")
    def sent(self, email: MembershipEmail):
        return email.sent_at or "not sent (reconciliation retries it)"


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["reference", "email", "plan", "status", "current_period_end", "cancel_at_period_end", "created_at"]
    list_filter = ["status", "has_access", "cancel_at_period_end", "plan"]
    list_select_related = ["plan"]
    search_fields = ["reference", "email", "stripe_subscription_id", "checkout_session_id"]
    date_hierarchy = "created_at"
    inlines = [InvoiceInline, MembershipEmailInline, SubscriptionEventInline]
    actions = ["cancel_at_period_end_action", "cancel_now", "refund_last_invoice", "resync_from_stripe"]
    readonly_fields = [f.name for f in Subscription._meta.fields if f.name != "token"]
    exclude = ["token"]  # the member's key: staff never need to see it

    def has_add_permission(self, request) -> bool:
        return False  # memberships start at checkout only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the books keep every membership

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("billing.cancel_subscription")

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("billing.refund_invoice")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "figures": membership_figures()}
        return super().changelist_view(request, extra_context=extra_context)

    def _each(self, request, queryset, action, done: str) -> None:
        for subscription in queryset.select_related("plan").order_by("pk"):
            try:
                action(subscription)
            except MembershipError as error:
                self.message_user(request, f"{subscription.reference}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{subscription.reference}: {done}")

    @admin.action(description="Cancel at the end of the period paid for (through Stripe)", permissions=["cancel"])
    def cancel_at_period_end_action(self, request, queryset):
        def cancel(subscription):
            staff.cancel_subscription(subscription=subscription, at_period_end=True, user=request.user)

        self._each(request, queryset, cancel, "cancels at the end of its period.")

    @admin.action(description="Cancel now, access stops now (through Stripe)", permissions=["cancel"])
    def cancel_now(self, request, queryset):
        def cancel(subscription):
            staff.cancel_subscription(subscription=subscription, at_period_end=False, user=request.user)

        self._each(request, queryset, cancel, "canceled.")

    @admin.action(description="Refund the last paid invoice (through Stripe)", permissions=["refund"])
    def refund_last_invoice(self, request, queryset):
        def refund(subscription):
            amount = staff.refund_last_invoice(subscription=subscription, user=request.user)
            self.message_user(request, f"{subscription.reference}: refunded {amount} {subscription.currency}.")

        self._each(request, queryset, refund, "refund recorded.")

    @admin.action(description="Re-sync selected memberships from Stripe", permissions=["change"])
    def resync_from_stripe(self, request, queryset):
        def sync(subscription):
            try:
                resync(subscription, actor=f"staff:{request.user.get_username()}")
            except stripe.StripeError as exc:
                raise MembershipError("payment_unavailable", f"Stripe: {loggable(exc)}", 503) from None

        self._each(request, queryset, sync, "in line with Stripe.")


@admin.register(BillingCustomer)
class BillingCustomerAdmin(admin.ModelAdmin):
    list_display = ["email", "stripe_customer_id", "created_at"]
    search_fields = ["email", "stripe_customer_id"]
    readonly_fields = ["email", "stripe_customer_id", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
