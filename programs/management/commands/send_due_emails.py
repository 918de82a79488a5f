import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from programs import dispatch, tasks


class Command(BaseCommand):
    help = "Run one dispatch pass of the drip scheduler (what the beat task runs every minute)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Treat this ISO 8601 instant as the current time, e.g. 2026-03-08T12:00:00Z (naive means UTC).",
        )

    def handle(self, *args, now=None, **options):
        moment = timezone.now()
        if now:
            try:
                moment = parse_datetime(now)
            except ValueError:
                moment = None
            if moment is None:
                raise CommandError(f"--now must be an ISO 8601 date-time, not {now!r}.")
            if timezone.is_naive(moment):
                moment = moment.replace(tzinfo=dt.UTC)
        count = dispatch.dispatch_due_deliveries(now=moment, enqueue=tasks.enqueue_sends)
        self.stdout.write(f"claimed {count} due deliveries (as of {moment.isoformat()}); send tasks enqueued.")
