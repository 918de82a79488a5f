"""The shared fixtures work: the SMTP sink receives what Django sends; the worker is exercised by test_delivery_flow.py."""

from django.core.mail import EmailMultiAlternatives


def test_mailbox_receives_smtp(mailbox):
    message = EmailMultiAlternatives("Hi", "text part", "a@example.com", ["b@example.com"])
    message.attach_alternative("<p>html part</p>", "text/html")
    message.send()
    (received,) = mailbox.wait_for(1)
    assert received["Subject"] == "Hi"
    assert received.get_body(("plain",)).get_content().strip() == "text part"
    assert "html part" in received.get_body(("html",)).get_content()


def test_program_factories(db):
    from tests.factories import DeliveryFactory

    delivery = DeliveryFactory()
    assert delivery.step.program == delivery.enrollment.program
