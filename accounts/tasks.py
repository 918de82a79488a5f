"""Celery tasks of the accounts app; the work is in accounts.retention."""

from celery import shared_task

from accounts import retention


@shared_task(name="accounts.run_privacy_pass", ignore_result=True)
def run_privacy_pass() -> str:
    """The daily beat entry "accounts: privacy pass"."""
    return str(retention.run_privacy_pass())
