"""The registry by event type: several apps may handle one type, each deciding whether the object is its
own; the stored event's state is processed if any handler processed it, deferred if any deferred, else ignored."""

import pytest
from django.contrib.auth.models import Group

from payments import registry
from payments.events import process_stripe_event
from payments.models import StripeEvent

pytestmark = pytest.mark.django_db

PROCESSED, DEFERRED, IGNORED = StripeEvent.State.PROCESSED, StripeEvent.State.DEFERRED, StripeEvent.State.IGNORED


@pytest.fixture
def test_type(monkeypatch):
    """An event type of this test only (the real handlers stay registered, untouched)."""
    monkeypatch.setattr(registry, "_handlers", {key: list(value) for key, value in registry._handlers.items()})
    return "test.thing.happened"


def event(event_type: str, event_id: str = "evt_registry_1", **obj) -> dict:
    return {"id": event_id, "type": event_type, "data": {"object": {"id": "thing_1", **obj}}}


@pytest.mark.parametrize(
    ("answers", "state"),
    [
        ([PROCESSED, IGNORED], PROCESSED),
        ([IGNORED, PROCESSED], PROCESSED),
        ([IGNORED, DEFERRED], DEFERRED),
        ([DEFERRED, PROCESSED], PROCESSED),
        ([IGNORED, IGNORED], IGNORED),
    ],
)
def test_every_handler_of_a_type_sees_the_event_and_the_answers_make_one_state(test_type, answers, state):
    seen = []

    def handler_for(answer, name):
        def handle(stored):
            seen.append((name, stored.id))
            return answer

        return handle

    for index, answer in enumerate(answers):
        registry.register(test_type)(handler_for(answer, f"app{index}"))

    assert process_stripe_event(event=event(test_type)) == state
    assert seen == [("app0", "evt_registry_1"), ("app1", "evt_registry_1")]  # in the order registered
    assert StripeEvent.objects.get(pk="evt_registry_1").state == state


def test_registering_one_handler_twice_runs_it_once(test_type):
    calls = []

    @registry.register(test_type, test_type)
    def handle(stored):
        calls.append(stored.id)
        return PROCESSED

    registry.register(test_type)(handle)

    assert registry.handlers_for(test_type) == [handle]
    process_stripe_event(event=event(test_type))
    assert calls == ["evt_registry_1"]


def test_a_type_nobody_handles_is_stored_ignored(test_type):
    assert registry.handlers_for(test_type) == []
    assert process_stripe_event(event=event(test_type)) == IGNORED
    assert test_type not in registry.handled_event_types()


def test_a_failing_handler_fails_the_event_and_rolls_back_the_others(test_type):
    @registry.register(test_type)
    def writes(stored):
        Group.objects.create(name="written")  # any model: the first handler's write must not survive
        return PROCESSED

    @registry.register(test_type)
    def fails(stored):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        process_stripe_event(event=event(test_type))

    assert not Group.objects.filter(name="written").exists()
    assert StripeEvent.objects.get(pk="evt_registry_1").state == StripeEvent.State.FAILED


def test_checkout_session_types_have_the_shop_and_billing_handlers():
    for event_type in ("checkout.session.completed", "checkout.session.expired"):
        modules = {handler.__module__ for handler in registry.handlers_for(event_type)}
        assert modules == {"shop.stripe_events", "billing.stripe_events"}
    assert "customer.subscription.updated" in registry.handled_event_types()
    assert "charge.refunded" in registry.handled_event_types()
