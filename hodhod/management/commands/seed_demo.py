from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from billing.demo import seed_demo as seed_billing
from content.demo import seed_demo as seed_content
from programs.demo import seed_demo as seed_programs
from shop.demo import seed_demo as seed_shop

DEMO_STAFF_USERNAME = "staff"
DEMO_STAFF_PASSWORD = "hodhod-demo"  # noqa: S105 - created only when DEBUG is on, printed by make run


class Command(BaseCommand):
    help = "Create the demo catalog, programs, articles and FAQ. Safe to run again: it adds only what is missing."

    @transaction.atomic
    def handle(self, *args, **options):
        created = [*seed_shop(), *seed_billing(), *seed_programs(), *seed_content()]
        if settings.DEBUG:
            created += self.ensure_demo_staff()
        for line in created:
            self.stdout.write(f"created {line}")
        self.stdout.write(self.style.SUCCESS(f"seed_demo: {len(created)} created, the rest already there."))

    def ensure_demo_staff(self) -> list[str]:
        """A superuser to log in to the admin with, only on a DEBUG (demo) run."""
        User = get_user_model()
        if User.objects.filter(username=DEMO_STAFF_USERNAME).exists():
            return []
        User.objects.create_superuser(DEMO_STAFF_USERNAME, "staff@hodhod.example", DEMO_STAFF_PASSWORD)
        return [f"demo staff user {DEMO_STAFF_USERNAME!r} (password {DEMO_STAFF_PASSWORD!r})"]
