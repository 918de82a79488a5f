from django.core.management.base import BaseCommand

from billing.reconciliation import reconcile_subscriptions
from shop.reconciliation import reconcile_pending_orders


class Command(BaseCommand):
    help = (
        "Run one reconciliation pass with Stripe now (what the beat tasks run): pending orders past their "
        "session's expiry or their hold (SHOP_RESERVATION_MINUTES), failed and stranded Stripe events, order "
        "and membership emails neither the mail server nor the broker took, memberships not synced for a day "
        "or named by a failed event (re-synced from Stripe's copy)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Re-sync every membership that has not ended, from Stripe's copy."
        )

    def handle(self, *args, **options):
        orders, memberships = reconcile_pending_orders(), reconcile_subscriptions(all=options["all"])
        counts = {**orders, **memberships, "errors": orders["errors"] + memberships["errors"]}
        self.stdout.write(", ".join(f"{name} {count}" for name, count in counts.items()))
