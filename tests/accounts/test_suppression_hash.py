"""Issue 14, in core: after an erasure the suppression list keeps only a keyed hash of the address, and the one
mail function checks it as it checks an address. The rule stays the contract's: unasked mail is held back, order,
membership, sign-in and account mail still go (a new buyer's confirmation flows), nothing goes after a hard bounce,
nothing ever goes to an erasure's pseudonym."""

import pytest

from core.mail import REQUESTED_KINDS, MailKind, may_mail, send_templated_email
from core.models import Suppression
from core.suppression import address_hash, is_suppressed, keep_only_hash, lift_own_suppression, suppress
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _send(kind: MailKind, to: str) -> str | None:
    order = OrderFactory.build(email=to)
    context = {"order": order, "lines": [], "status_url": "https://shop.example/orders/x/"}
    return send_templated_email(to=to, kind=kind, subject="Hello", template="shop/email/order_shipped", context=context)


def test_issue14_the_hash_is_keyed_and_case_blind():
    assert address_hash(" Dana@Example.COM ") == address_hash("dana@example.com")
    assert address_hash("dana@example.com") != address_hash("otto@example.com")
    assert "dana" not in address_hash("dana@example.com") and len(address_hash("dana@example.com")) == 64


@pytest.mark.parametrize("kind", list(MailKind))
def test_issue14_an_erased_address_gets_only_what_it_asks_for(kind, mailbox):
    keep_only_hash(email="dana@example.com", source="erasure")
    assert Suppression.objects.get().email is None
    assert is_suppressed("DANA@example.com")
    sent = _send(kind, "Dana@Example.com")
    assert bool(sent) == (kind in REQUESTED_KINDS)
    assert len(mailbox.wait_for(1) if sent else mailbox) == (1 if sent else 0)


def test_issue14_a_hard_bounce_stays_a_hard_bounce_when_only_the_hash_is_kept():
    suppress(email="dana@example.com", reason=Suppression.Reason.HARD_BOUNCE)
    keep_only_hash(email="dana@example.com", source="erasure")
    assert list(Suppression.objects.values_list("email", "reason")) == [(None, "hard_bounce")]
    assert not may_mail("dana@example.com", MailKind.ORDER)
    assert lift_own_suppression(email="dana@example.com") == 0  # a bounce is not the customer's to lift


def test_issue14_the_check_is_still_one_query(django_assert_num_queries):
    keep_only_hash(email="dana@example.com", source="erasure")
    with django_assert_num_queries(1):
        may_mail("dana@example.com", MailKind.LESSON)
    with django_assert_num_queries(0):
        assert not may_mail("erased-0123456789abcdef@invalid", MailKind.ORDER)


def test_issue14_staff_still_cannot_add_an_entry_without_an_address(admin_client):
    response = admin_client.post("/admin/core/suppression/add/", {"email": "", "reason": "manual"})
    assert response.status_code == 200 and not Suppression.objects.exists()
