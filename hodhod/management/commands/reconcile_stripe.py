from django.core.management.base import BaseCommand

from shop.reconciliation import reconcile_pending_orders


class Command(BaseCommand):
    help = (
        "Run one reconciliation pass with Stripe now (what the beat task runs every five minutes): "
        "pending orders past their session's expiry or their hold (SHOP_RESERVATION_MINUTES), failed and "
        "stranded Stripe events, order emails neither the mail server nor the broker took."
    )

    def handle(self, *args, **options):
        counts = reconcile_pending_orders()
        self.stdout.write(", ".join(f"{name} {count}" for name, count in counts.items()))
