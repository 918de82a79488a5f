"""Issue 15: a lesson sent through the real send path carries tracked links, its delivery id as ESP metadata, and
(only with PROGRAMS_OPEN_PIXEL) the open pixel; a staff test send tracks nothing."""

import re
from urllib.parse import urlsplit

import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend
from django.core import mail
from django.test import Client

from programs import enrollments, lessons
from programs.models import Delivery, Enrollment
from tests.factories import program_with_steps
from tests.programs.conftest import utc

pytestmark = pytest.mark.django_db
DRILL = "https://coach.example/drills?level=2&side=left"
VIDEO = "https://video.example/watch/42"
BODY = f"Today: [the drill]({DRILL}). Questions? [Write to us](mailto:coach@example.com)."
SEND = utc(2026, 3, 2, 8)


class EspTestBackend(AnymailTestBackend):
    """anymail's test backend with the string message ids a real ESP gives (Postmark, Mailgun, SES …)."""

    def get_esp_message_id(self, message):
        return f"esp-{mail.outbox.index(message)}"


def enrolled(email: str = "reader@example.com") -> Enrollment:
    program = program_with_steps(1, name="Foundations")
    program.steps.update(body=BODY, video_url=VIDEO)
    return enrollments.enroll(program=program, email=email, origin="order", timezone_name="UTC", now=utc(2026, 3, 2, 6))


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html.replace("&amp;", "&"))


def test_issue15_sent_lesson_links_are_tracked_and_lead_to_their_targets(send_now, mailbox):
    enrollment = enrolled()
    send_now(SEND)
    (message,) = mailbox.wait_for(1)
    html = message.get_body(("html",)).get_content()
    delivery = Delivery.objects.get(enrollment=enrollment)
    links = hrefs(html)
    tracked = [link for link in links if link.startswith("http://testserver/l/")]
    assert len(tracked) == 2  # the body's web link and the video
    assert DRILL not in html.replace("&amp;", "&") and VIDEO not in html
    assert "mailto:coach@example.com" in links  # not a web address: as it is
    assert lessons.manage_url(enrollment) in links and lessons.unsubscribe_url(enrollment) in links  # untracked
    assert "/o/" not in html and "<img" not in html  # PROGRAMS_OPEN_PIXEL is off by default
    text = message.get_body(("plain",)).get_content()
    assert DRILL in text and VIDEO in text  # the text part shows the addresses themselves

    client = Client()
    assert client.get(urlsplit(tracked[0]).path)["Location"] == DRILL  # seconds after the send: a scanner
    delivery.refresh_from_db()
    assert delivery.scanner_clicked_at is not None and delivery.clicked_at is None
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=SEND)  # the reader comes back to it later
    assert client.get(urlsplit(tracked[1]).path)["Location"] == VIDEO
    delivery.refresh_from_db()
    assert delivery.click_count == 2 and delivery.clicked_at is not None


def test_issue15_with_the_setting_the_lesson_carries_the_open_pixel(send_now, mailbox, settings):
    settings.PROGRAMS_OPEN_PIXEL = True
    enrollment = enrolled()
    send_now(SEND)
    (message,) = mailbox.wait_for(1)
    html = message.get_body(("html",)).get_content()
    (pixel,) = re.findall(r'<img src="([^"]+)" width="1" height="1" alt=""', html)
    assert pixel.startswith("http://testserver/o/")
    assert "/o/" not in message.get_body(("plain",)).get_content()
    response = Client().get(urlsplit(pixel).path)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert Delivery.objects.get(enrollment=enrollment).opened_at is not None


def test_issue15_lesson_goes_to_the_esp_with_its_delivery_id_and_the_esps_message_id_is_kept(send_now, settings):
    settings.EMAIL_BACKEND = f"{__name__}.EspTestBackend"
    enrollment = enrolled()
    send_now(SEND)
    (message,) = mail.outbox
    delivery = Delivery.objects.get(enrollment=enrollment)
    assert message.anymail_test_params["metadata"] == {"delivery": delivery.pk}
    assert delivery.status == Delivery.Status.SENT
    assert delivery.message_id == "esp-0"  # what the ESP's tracking events will name


def test_issue15_staff_test_send_tracks_nothing(settings):
    settings.PROGRAMS_OPEN_PIXEL = True
    program = program_with_steps(1)
    program.steps.update(body=BODY, video_url=VIDEO)
    lessons.send_step_test(program.steps.get(), to="staff@example.com")
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "/l/" not in html and "/o/" not in html
    assert DRILL in html.replace("&amp;", "&") and VIDEO in html
