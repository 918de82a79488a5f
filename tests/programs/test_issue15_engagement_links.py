"""Issue 15: tracked lesson links (`/l/<signed>/`) and the open pixel (`/o/<signed>/`)."""

import datetime as dt

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from programs import engagement, tracking
from programs.models import Delivery
from tests.factories import DeliveryFactory

pytestmark = pytest.mark.django_db
TARGET = "https://coach.example/drills?level=2&side=left#pulls"


@pytest.fixture
def sent_an_hour_ago():
    return DeliveryFactory(status=Delivery.Status.SENT, sent_at=timezone.now() - dt.timedelta(hours=1))


def link_path(delivery_id: int, url: str = TARGET) -> str:
    return f"/l/{tracking.sign_link(delivery_id=delivery_id, url=url)}/"


def test_issue15_tracked_link_redirects_to_exactly_the_signed_url_without_cookies(client, sent_an_hour_ago):
    response = client.get(link_path(sent_an_hour_ago.pk))
    assert response.status_code == 302
    assert response["Location"] == TARGET
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert not response.cookies  # no session, no CSRF cookie
    assert "Cookie" not in response.get("Vary", "")


def test_issue15_tracked_url_in_a_mail_points_at_our_site():
    url = tracking.tracked_url(delivery_id=7, url=TARGET)
    assert url.startswith("http://testserver/l/") and url.endswith("/")
    assert tracking.read_link(url.removeprefix("http://testserver/l/").removesuffix("/")) == (7, TARGET)
    assert tracking.tracked_url(delivery_id=7, url="mailto:coach@example.com") == "mailto:coach@example.com"


@pytest.mark.parametrize(
    "signed",
    [
        "tampered-payload",
        "other-signature",
        "pixel-signature",
        "unsigned",
        "javascript",
        "data",
        "no-host",
    ],
)
def test_issue15_link_not_signed_by_us_for_a_web_address_is_a_404_and_records_nothing(client, signed):
    delivery = DeliveryFactory(status=Delivery.Status.SENT, sent_at=timezone.now() - dt.timedelta(hours=1))
    good = tracking.sign_link(delivery_id=delivery.pk, url=TARGET)
    payload, _, signature = good.rpartition(":")
    values = {
        # the payload changed, its signature kept
        "tampered-payload": f"{payload[:-4]}AAAA:{signature}",
        "other-signature": signing.Signer(key="not-our-secret", salt=tracking.LINK_SALT).sign_object(
            [delivery.pk, TARGET], compress=True
        ),
        "pixel-signature": tracking.sign_pixel(delivery_id=delivery.pk),
        "unsigned": "https:--evil.example",
        # signed by us, but not an address we send people to
        "javascript": tracking.sign_link(delivery_id=delivery.pk, url="javascript:alert(document.cookie)"),
        "data": tracking.sign_link(delivery_id=delivery.pk, url="data:text/html,<script>alert(1)</script>"),
        "no-host": tracking.sign_link(delivery_id=delivery.pk, url="https:///evil"),
    }
    response = client.get(f"/l/{values[signed]}/")
    assert response.status_code == 404
    assert "Location" not in response
    assert b"We could not find that page" in response.content  # the friendly 404 page
    delivery.refresh_from_db()
    assert delivery.click_count == 0 and delivery.clicked_at is None and delivery.scanner_clicked_at is None


def test_issue15_first_click_is_recorded_and_further_clicks_only_counted(client, sent_an_hour_ago):
    path = link_path(sent_an_hour_ago.pk)
    client.get(path)
    sent_an_hour_ago.refresh_from_db()
    first = sent_an_hour_ago.clicked_at
    assert first is not None and sent_an_hour_ago.click_count == 1
    client.get(path)
    client.get(link_path(sent_an_hour_ago.pk, "https://coach.example/other"))
    sent_an_hour_ago.refresh_from_db()
    assert sent_an_hour_ago.click_count == 3
    assert sent_an_hour_ago.clicked_at == first  # the first click's time stays
    assert sent_an_hour_ago.scanner_clicked_at is None


def test_issue15_click_seconds_after_the_send_is_a_scanners_and_a_later_one_a_persons(client):
    delivery = DeliveryFactory(status=Delivery.Status.SENT, sent_at=timezone.now())
    assert client.get(link_path(delivery.pk)).status_code == 302  # the scanner still gets its redirect
    delivery.refresh_from_db()
    assert delivery.scanner_clicked_at is not None and delivery.clicked_at is None and delivery.click_count == 1

    # The person opens the lesson later: their click counts as a person's.
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now() - engagement.SCANNER_WINDOW * 2)
    client.get(link_path(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.clicked_at is not None and delivery.click_count == 2
    assert delivery.scanner_clicked_at < delivery.clicked_at


def test_issue15_click_seconds_after_the_esp_reports_delivery_is_a_scanners(client):
    delivery = DeliveryFactory(
        status=Delivery.Status.SENT, sent_at=timezone.now() - dt.timedelta(hours=2), delivered_at=timezone.now()
    )
    client.get(link_path(delivery.pk))
    delivery.refresh_from_db()
    assert delivery.scanner_clicked_at is not None and delivery.clicked_at is None


def test_issue15_head_request_is_a_scanners_click(client, sent_an_hour_ago):
    response = client.head(link_path(sent_an_hour_ago.pk))
    assert response.status_code == 302 and response["Location"] == TARGET
    sent_an_hour_ago.refresh_from_db()
    assert sent_an_hour_ago.scanner_clicked_at is not None and sent_an_hour_ago.clicked_at is None
    assert sent_an_hour_ago.click_count == 1


def test_issue15_post_to_a_tracked_link_is_refused(client, sent_an_hour_ago):
    assert client.post(link_path(sent_an_hour_ago.pk)).status_code == 405
    sent_an_hour_ago.refresh_from_db()
    assert sent_an_hour_ago.click_count == 0


def test_issue15_deleted_delivery_still_redirects_and_records_nothing(client, sent_an_hour_ago):
    path = link_path(sent_an_hour_ago.pk)
    sent_an_hour_ago.delete()
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == TARGET
    assert not Delivery.objects.exists()


def test_issue15_click_view_is_one_update_without_a_disk_flush(client, sent_an_hour_ago, django_assert_max_num_queries):
    path = link_path(sent_an_hour_ago.pk)
    with django_assert_max_num_queries(2) as queries:
        client.get(path)
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["SET", "UPDATE"]


def test_issue15_open_pixel_records_the_first_open_once(client, sent_an_hour_ago, django_assert_max_num_queries):
    path = f"/o/{tracking.sign_pixel(delivery_id=sent_an_hour_ago.pk)}/"
    with django_assert_max_num_queries(2):  # SET LOCAL synchronous_commit, UPDATE
        response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a") and response["Cache-Control"] == "no-store"
    assert not response.cookies
    sent_an_hour_ago.refresh_from_db()
    first = sent_an_hour_ago.opened_at
    assert first is not None
    client.get(path)
    sent_an_hour_ago.refresh_from_db()
    assert sent_an_hour_ago.opened_at == first


def test_issue15_pixel_with_a_link_signature_is_a_404(client, sent_an_hour_ago):
    assert client.get(link_path(sent_an_hour_ago.pk).replace("/l/", "/o/")).status_code == 404
    sent_an_hour_ago.refresh_from_db()
    assert sent_an_hour_ago.opened_at is None


def test_issue15_lesson_body_links_are_tracked_but_mailto_and_relative_are_not():
    body = (
        '<p><a href="https://coach.example/a?x=1&amp;y=2" rel="noopener">drill</a> '
        '<a href="mailto:coach@example.com">write</a> <a href="/faq/">faq</a> '
        '<img src="https://cdn.example/i.png" alt=""></p>'
    )
    tracked = tracking.track_html_links(body, delivery_id=5)
    assert "coach.example/a" not in tracked.split("<a href=")[1]
    signed = tracked.split('<a href="http://testserver/l/')[1].split("/")[0]
    assert tracking.read_link(signed) == (5, "https://coach.example/a?x=1&y=2")  # the address, unescaped
    assert '<a href="mailto:coach@example.com">' in tracked and '<a href="/faq/">' in tracked
    assert '<img src="https://cdn.example/i.png"' in tracked
    assert Client().get(f"/l/{signed}/")["Location"] == "https://coach.example/a?x=1&y=2"


@pytest.mark.parametrize("junk", ["%00", "a:b:c", "é:ü", ":", "." * 300, "WzEsImh0dHA6Ly94Il0:"])
def test_issue15_junk_in_a_tracked_link_is_a_404(client, junk):
    assert client.get(f"/l/{junk}/").status_code == 404
    assert client.get(f"/o/{junk}/").status_code == 404
