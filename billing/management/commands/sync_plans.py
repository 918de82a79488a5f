from django.core.management.base import BaseCommand

from billing.plans import sync_all_plans


class Command(BaseCommand):
    help = (
        "Bring every membership plan's Stripe Product and Price in line with it (a changed price makes a new "
        "Price and archives the old one), then the customer-portal configuration that lists them. Safe to repeat."
    )

    def handle(self, *args, **options):
        for line in sync_all_plans():
            self.stdout.write(line)
