"""Issue 15: ESP tracking events (through django-anymail) set each delivery's engagement times once, earliest first;
unsubscribing through our own links marks the last sent lesson."""

import base64
import datetime as dt
import json
import sys
import types

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from accounts.preferences import stop_all
from core.models import Suppression
from programs import enrollments, webhooks
from programs.models import Delivery, Enrollment
from tests.factories import DeliveryFactory, EnrollmentFactory, StepFactory

pytestmark = pytest.mark.django_db
SECRET = "hook:s3cret"
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
URLCONF = "tests_issue15_anymail_urls"


@pytest.fixture
def postmark(settings):
    """POST a Postmark tracking webhook to /anymail/postmark/tracking/ through the whole URL and middleware stack,
    mounted the way hodhod.urls mounts it when ANYMAIL["WEBHOOK_SECRET"] is set."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    urlconf = types.ModuleType(URLCONF)
    urlconf.urlpatterns = [
        path("anymail/", include(webhooks.tracking_urlpatterns())),
        path("", include("hodhod.urls")),
    ]
    sys.modules[URLCONF] = urlconf
    settings.ROOT_URLCONF = URLCONF
    client = Client(HTTP_AUTHORIZATION="Basic " + base64.b64encode(SECRET.encode()).decode())

    def post(payload: dict) -> None:
        response = client.post("/anymail/postmark/tracking/", json.dumps(payload), content_type="application/json")
        assert response.status_code == 200, response.content

    yield post
    del sys.modules[URLCONF]


def at(minutes: int) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def postmark_event(kind: str, delivery: Delivery, *, minutes: int, by_metadata: bool = True) -> dict:
    """Postmark's record shapes (https://postmarkapp.com/developer/webhooks) for each event type."""
    email = delivery.enrollment.email
    base = {"MessageID": delivery.message_id, "Metadata": {"delivery": str(delivery.pk)} if by_metadata else {}}
    shapes = {
        "delivered": {"RecordType": "Delivery", "Recipient": email, "DeliveredAt": at(minutes)},
        "opened": {"RecordType": "Open", "Recipient": email, "ReceivedAt": at(minutes), "FirstOpen": True},
        "clicked": {
            "RecordType": "Click",
            "Recipient": email,
            "ReceivedAt": at(minutes),
            "OriginalLink": "https://coach.example/drills",
        },
        "bounced": {"RecordType": "Bounce", "Type": "HardBounce", "Email": email, "BouncedAt": at(minutes), "ID": 9},
        "complained": {
            "RecordType": "SpamComplaint",
            "Type": "SpamComplaint",
            "Email": email,
            "BouncedAt": at(minutes),
        },
        "unsubscribed": {
            "RecordType": "SubscriptionChange",
            "Recipient": email,
            "SuppressSending": True,
            "SuppressionReason": "ManualSuppression",
            "ChangedAt": at(minutes),
        },
    }
    return {**base, **shapes[kind]}


def sent_delivery(**fields) -> Delivery:
    return DeliveryFactory(status=Delivery.Status.SENT, sent_at=T0 - dt.timedelta(minutes=1), **fields)


FIELDS = {
    "delivered": "delivered_at",
    "opened": "opened_at",
    "clicked": "clicked_at",
    "bounced": "bounced_at",
    "complained": "complained_at",
    "unsubscribed": "unsubscribed_at",
}


@pytest.mark.parametrize("kind", list(FIELDS))
@pytest.mark.parametrize("by_metadata", [True, False], ids=["by-metadata", "by-message-id"])
def test_issue15_postmark_event_sets_the_right_delivery_once_earliest_first(postmark, kind, by_metadata):
    target = sent_delivery(message_id="pm-target")
    neighbour = sent_delivery(
        message_id="pm-neighbour", enrollment=target.enrollment, step=StepFactory(program=target.step.program)
    )
    field = FIELDS[kind]

    postmark(postmark_event(kind, target, minutes=10, by_metadata=by_metadata))
    target.refresh_from_db()
    assert getattr(target, field) == T0 + dt.timedelta(minutes=10)

    postmark(postmark_event(kind, target, minutes=10, by_metadata=by_metadata))  # the ESP retries
    postmark(postmark_event(kind, target, minutes=30, by_metadata=by_metadata))  # a later one
    target.refresh_from_db()
    assert getattr(target, field) == T0 + dt.timedelta(minutes=10)

    postmark(postmark_event(kind, target, minutes=3, by_metadata=by_metadata))  # an older one, late
    target.refresh_from_db()
    assert getattr(target, field) == T0 + dt.timedelta(minutes=3)

    neighbour.refresh_from_db()
    assert all(getattr(neighbour, name) is None for name in FIELDS.values())
    others = set(FIELDS.values()) - {field}
    assert all(getattr(target, name) is None for name in others)
    assert target.click_count == 0  # an ESP's click is not our redirect's count


def test_issue15_postmark_bounce_still_suppresses_the_address(postmark):
    delivery = sent_delivery(message_id="pm-bounce")
    postmark(postmark_event("bounced", delivery, minutes=1))
    assert Suppression.objects.get(email=delivery.enrollment.email).reason == Suppression.Reason.HARD_BOUNCE
    assert Enrollment.objects.get(pk=delivery.enrollment_id).status == Enrollment.Status.BOUNCED


def send_event(event_type: str, *, minutes: int, metadata=None, message_id=None, esp_name="Mailgun") -> None:
    """What any anymail webhook view does once it has parsed its provider's body."""
    event = AnymailTrackingEvent(
        event_type=event_type,
        timestamp=T0 + dt.timedelta(minutes=minutes),
        message_id=message_id,
        metadata=metadata or {},
        recipient="learner@example.com",
    )
    tracking.send(sender=object, event=event, esp_name=esp_name)


def test_issue15_events_of_other_providers_and_of_other_mail_change_no_lesson():
    delivery = sent_delivery(message_id="<abc@hodhod>")
    send_event("opened", minutes=5, metadata={"delivery": delivery.pk}, esp_name="Mailgun")  # an int, not a str
    send_event("delivered", minutes=2, message_id="<abc@hodhod>", esp_name="Amazon SES")
    send_event("opened", minutes=1, metadata={"order": "17"}, message_id="<an-order-mail@hodhod>")
    send_event("clicked", minutes=1, metadata={"delivery": "not-a-number"})  # no message id: nothing to find
    send_event("deferred", minutes=1, metadata={"delivery": delivery.pk})  # not an engagement we keep
    delivery.refresh_from_db()
    assert delivery.opened_at == T0 + dt.timedelta(minutes=5)
    assert delivery.delivered_at == T0 + dt.timedelta(minutes=2)
    assert delivery.clicked_at is None and delivery.bounced_at is None


def test_issue15_event_without_a_timestamp_is_recorded_at_arrival():
    delivery = sent_delivery()
    before = timezone.now()
    tracking.send(
        sender=object,
        event=AnymailTrackingEvent(event_type="delivered", timestamp=None, metadata={"delivery": str(delivery.pk)}),
        esp_name="Mailjet",
    )
    delivery.refresh_from_db()
    assert delivery.delivered_at >= before


def test_issue15_unsubscribe_link_marks_the_latest_sent_lesson():
    enrollment = EnrollmentFactory()
    older = DeliveryFactory(enrollment=enrollment, status=Delivery.Status.SENT, sent_at=T0)
    latest = DeliveryFactory(enrollment=enrollment, status=Delivery.Status.SENT, sent_at=T0 + dt.timedelta(days=1))
    unsent = DeliveryFactory(enrollment=enrollment, status=Delivery.Status.SCHEDULED)
    response = Client().post(f"/programs/{enrollment.token}/unsubscribe/")
    assert response.status_code == 200
    for delivery in (older, latest, unsent):
        delivery.refresh_from_db()
    assert latest.unsubscribed_at is not None
    assert older.unsubscribed_at is None and unsent.unsubscribed_at is None
    assert unsent.status == Delivery.Status.CANCELLED


def test_issue15_stop_all_marks_the_latest_sent_lesson_of_each_program():
    first = EnrollmentFactory(email="pat@example.com")
    second = EnrollmentFactory(email="Pat@Example.com")
    nothing_sent = EnrollmentFactory(email="pat@example.com")
    one = DeliveryFactory(enrollment=first, status=Delivery.Status.SENT, sent_at=T0)
    two = DeliveryFactory(enrollment=second, status=Delivery.Status.SENT, sent_at=T0)
    scheduled = DeliveryFactory(enrollment=nothing_sent)
    assert stop_all("pat@example.com") == 3
    for delivery in (one, two, scheduled):
        delivery.refresh_from_db()
    assert one.unsubscribed_at is not None and two.unsubscribed_at is not None
    assert scheduled.unsubscribed_at is None


def test_issue15_unsubscribing_again_after_rejoining_keeps_the_first_time():
    enrollment = EnrollmentFactory()
    delivery = DeliveryFactory(enrollment=enrollment, status=Delivery.Status.SENT, sent_at=T0)
    enrollments.unsubscribe(enrollment=enrollment)
    delivery.refresh_from_db()
    first = delivery.unsubscribed_at
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.ACTIVE)
    enrollments.unsubscribe(enrollment=Enrollment.objects.get(pk=enrollment.pk))
    delivery.refresh_from_db()
    assert delivery.unsubscribed_at == first
