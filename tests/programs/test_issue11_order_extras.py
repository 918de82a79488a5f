"""Issue 11, item 2: the product page, the success page and the order confirmation email say that the
FoosFoot comes with an exercise program. The shop shows what programs registers in `shop.hooks`
(the shop imports no programs code); the product page is composed at project level."""

import pytest

from programs import enrollments
from programs.order_extras import extras_for_order
from shop import hooks
from shop.emails import send_order_email
from tests.factories import ProductFactory, program_with_steps
from tests.programs.conftest import make_paid_order, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(granted_program, foosfoot):
    order = make_paid_order(foosfoot, email="dana@example.com", address={"country": "US", "state": "IL"})
    order.checkout_session_id = "cs_test_issue11"
    order.save(update_fields=["checkout_session_id"])
    return order


def test_the_product_page_says_what_the_product_includes(client, granted_program, foosfoot):
    html = client.get(f"/shop/{foosfoot.slug}/").content.decode()
    assert "Included: Foundations" in html
    assert "A free 3-day exercise program by email comes with your FoosFoot." in html
    assert "One short lesson a day by email, at 08:00 your time" in html


def test_a_product_without_a_program_says_nothing_of_one(client, granted_program):
    other = ProductFactory(slug="socks", name="Socks")
    assert "Included:" not in client.get(f"/shop/{other.slug}/").content.decode()


def test_the_success_page_names_the_program_and_its_first_lesson_on_the_buyers_clock(client, paid_order):
    enrollments.enroll_order(order=paid_order, now=utc(2026, 3, 2, 20))  # 14:00 in Chicago: lesson 1 tomorrow
    enrollment = paid_order.program_enrollments.get()
    html = client.get("/checkout/success/?session_id=cs_test_issue11").content.decode()
    assert "Included: Foundations" in html
    assert "a free 3-day exercise program by email" in html
    assert "The first lesson arrives on Tuesday 3 March, 08:00 (America/Chicago)" in html
    assert f'href="http://testserver/programs/{enrollment.token}/"' in html


def test_before_the_enrollment_exists_the_success_page_still_explains_the_program(client, paid_order):
    html = client.get("/checkout/success/?session_id=cs_test_issue11").content.decode()
    assert "Included: Foundations" in html and "One short lesson a day by email" in html


def test_a_pending_or_refunded_order_advertises_nothing(client, paid_order):
    paid_order.status = "refunded"
    paid_order.save(update_fields=["status"])
    assert "Included:" not in client.get("/checkout/success/?session_id=cs_test_issue11").content.decode()


def test_the_order_confirmation_email_names_the_program(paid_order, mailbox):
    enrollments.enroll_order(order=paid_order, now=utc(2026, 3, 2, 20))
    enrollment = paid_order.program_enrollments.get()
    send_order_email(order=paid_order, kind="confirmation")
    (message,) = mailbox.wait_for(1)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Included: Foundations" in part
        assert "The first lesson arrives on Tuesday 3 March, 08:00 (America/Chicago)" in part
        assert f"/programs/{enrollment.token}/" in part
    assert f"Change the lesson time, pause or stop: http://testserver/programs/{enrollment.token}/" in text


def test_the_success_page_costs_the_same_queries_for_one_and_three_programs(
    client, paid_order, foosfoot, django_assert_max_num_queries
):
    enrollments.enroll_order(order=paid_order)
    with django_assert_max_num_queries(8) as one:
        assert client.get("/checkout/success/?session_id=cs_test_issue11").status_code == 200
    for n in range(2):
        program_with_steps(2, slug=f"more-{n}", granted_by=[foosfoot])
    paid_order.program_enrollments.all().delete()
    enrollments.enroll_order(order=paid_order)
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get("/checkout/success/?session_id=cs_test_issue11").content.decode()
    assert html.count("Included:") == 3


def test_a_failing_extra_is_left_out_and_the_page_still_answers(client, paid_order, monkeypatch, caplog):
    def broken(order):
        raise RuntimeError("boom")

    monkeypatch.setattr(hooks, "order_extras", [broken, *hooks.order_extras])
    response = client.get("/checkout/success/?session_id=cs_test_issue11")
    assert response.status_code == 200 and "Included: Foundations" in response.content.decode()
    assert "order extras of" in caplog.text


def test_programs_registers_its_extras_once():
    assert hooks.order_extras.count(extras_for_order) == 1
    hooks.register_order_extras(extras_for_order)
    assert hooks.order_extras.count(extras_for_order) == 1
