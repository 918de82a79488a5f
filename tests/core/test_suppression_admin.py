"""The suppression list in the admin (issue 10, item 1): who may add, change or lift an entry."""

import pytest
from django.contrib.auth.models import Permission

from core.models import Suppression
from core.suppression import address_suppressed, suppress

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/core/suppression/"


def staff_client(client, django_user_model, *codenames: str):
    user = django_user_model.objects.create_user("clerk", "clerk@example.com", "pw-clerk-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="core", codename__in=codenames))
    client.force_login(user)
    return client


def test_issue10_item1_view_only_staff_cannot_add_change_or_lift_a_suppression(client, django_user_model):
    entry = suppress(email="gone@example.com", reason=Suppression.Reason.HARD_BOUNCE)
    viewer = staff_client(client, django_user_model, "view_suppression")
    assert viewer.get(CHANGELIST).status_code == 200
    assert viewer.get(f"{CHANGELIST}{entry.pk}/change/").status_code == 200  # read-only page

    assert viewer.post(f"{CHANGELIST}add/", {"email": "new@example.com", "reason": "manual"}).status_code == 403
    viewer.post(f"{CHANGELIST}{entry.pk}/change/", {"email": "other@example.com", "reason": "manual"})
    assert viewer.post(f"{CHANGELIST}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    viewer.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})

    assert list(Suppression.objects.values_list("email", "reason")) == [("gone@example.com", "hard_bounce")]


def test_issue10_item1_an_edit_cannot_move_a_suppression_to_another_address(client, django_user_model):
    """Changing the address would lift the old one and block the new one without the announcement
    that stops mail already queued for it: a new address is a new entry, made by suppress()."""
    entry = suppress(email="gone@example.com", reason=Suppression.Reason.MANUAL)
    editor = staff_client(client, django_user_model, "view_suppression", "change_suppression")
    response = editor.post(
        f"{CHANGELIST}{entry.pk}/change/", {"email": "other@example.com", "reason": "complaint", "source": "desk"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.email, entry.reason, entry.source) == ("gone@example.com", "complaint", "desk")


def test_staff_adding_a_suppression_announces_it(client, django_user_model):
    heard = []

    def listener(sender, email, reason, **kwargs):
        heard.append((email, reason))

    address_suppressed.connect(listener)
    try:
        adder = staff_client(client, django_user_model, "view_suppression", "add_suppression")
        response = adder.post(f"{CHANGELIST}add/", {"email": "Pat@Example.com", "reason": "manual", "source": ""})
    finally:
        address_suppressed.disconnect(listener)
    assert response.status_code == 302
    entry = Suppression.objects.get()
    assert (entry.email, entry.source) == ("pat@example.com", "staff clerk")
    assert heard == [("pat@example.com", "manual")]
