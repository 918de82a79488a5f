"""The mail-kinds rule (issue 10, item 6), applied in the one mail function, over real SMTP.

Suppression blocks every mail the person did not just ask for; mail about what they bought or joined,
sign-in links and staff test sends still go, unless the address hard-bounced.
"""

import pytest

from billing.emails import send_membership_email_task
from core.mail import REQUESTED_KINDS, MailKind, send_templated_email
from core.models import Suppression
from core.suppression import suppress
from shop.emails import send_order_email_task
from shop.refund_failures import send_refund_failed_alert_task
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
UNASKED = [kind for kind in MailKind if kind not in REQUESTED_KINDS]
ASKED = sorted(REQUESTED_KINDS)


def _send(kind: MailKind, to: str = "Pat@Example.com") -> str | None:
    order = OrderFactory.build(email=to)  # any real template will do; nothing here reads the database
    context = {"order": order, "lines": [], "status_url": "https://shop.example/orders/x/"}
    return send_templated_email(to=to, kind=kind, subject="Hello", template="shop/email/order_shipped", context=context)


@pytest.mark.parametrize("kind", list(MailKind))
def test_issue10_item6_every_kind_goes_to_an_address_that_is_not_suppressed(kind, mailbox):
    assert _send(kind)
    assert [message["To"] for message in mailbox.wait_for(1)] == ["Pat@Example.com"]


@pytest.mark.parametrize("reason", [Suppression.Reason.MANUAL, Suppression.Reason.COMPLAINT])
@pytest.mark.parametrize("kind", UNASKED)
def test_issue10_item6_suppression_blocks_mail_the_person_did_not_ask_for(kind, reason, mailbox):
    suppress(email="pat@example.com", reason=reason)
    assert _send(kind) is None
    assert len(mailbox) == 0


@pytest.mark.parametrize("reason", [Suppression.Reason.MANUAL, Suppression.Reason.COMPLAINT])
@pytest.mark.parametrize("kind", ASKED)
def test_issue10_item6_mail_about_what_they_bought_or_asked_for_still_goes(kind, reason, mailbox):
    suppress(email="PAT@example.com", reason=reason)
    assert _send(kind)
    assert len(mailbox.wait_for(1)) == 1


@pytest.mark.parametrize("kind", list(MailKind))
def test_issue10_item6_nothing_goes_to_an_address_that_hard_bounced(kind, mailbox):
    suppress(email="pat@example.com", reason=Suppression.Reason.HARD_BOUNCE)
    assert _send(kind) is None
    assert len(mailbox) == 0


def test_issue10_item6_the_check_is_one_query(mailbox, django_assert_num_queries):
    with django_assert_num_queries(1):
        _send(MailKind.LESSON)


@pytest.mark.parametrize("task", [send_order_email_task, send_membership_email_task, send_refund_failed_alert_task])
def test_every_task_that_sends_a_recorded_email_retries_a_refused_connection_with_backoff(task):
    """core.mail.MAIL_TASK_RETRY: a mail server that is down for a while costs a delay, not the email."""
    assert task.autoretry_for == (OSError,)
    assert (task.retry_backoff, task.retry_backoff_max, task.max_retries) == (30, 3600, 8)
    assert task.acks_late  # the project's default: a worker killed mid-send leaves the task queued
