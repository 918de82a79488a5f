"""Issue 10, item 7: the admin preview shows a lesson's text part as text, never as markup.

A lesson body is written by one staff user and previewed by another: whatever it contains must
not become a form or a script on the preview page. The mail's own text/plain part is plain text read
from the sanitised HTML (issue 11, item 9): raw HTML is gone from it, and code the author quoted
stays as the literal characters (a plain-text part has no markup to escape).
"""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import program_with_steps

pytestmark = pytest.mark.django_db

HOSTILE_BODY = (
    "Stretch.\n\n`<form action=//evil><input name=x></form>`\n\n`<script>alert(document.cookie)</script>`\n\n"
    "<form action=//raw><input name=y></form>\n<script>alert(2)</script>"
)


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("boss", "boss@hodhod.example", "pw-123-secret")
    client.force_login(user)
    return client


@pytest.fixture
def hostile_step():
    step = program_with_steps(1).steps.get()
    step.body = HOSTILE_BODY
    step.save()
    return step


def test_issue10_item7_preview_escapes_the_text_part(staff_client, hostile_step):
    page = staff_client.get(f"/admin/programs/step/{hostile_step.pk}/preview/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;form action=//evil&gt;&lt;input name=x&gt;&lt;/form&gt;" in html
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in html
    assert "<form action=//evil" not in html and "<input name=x" not in html
    assert "<script>alert(document.cookie)" not in html


def test_issue10_item7_the_mail_text_part_stays_plain_text(staff_client, hostile_step, mailbox):
    assert staff_client.post(f"/admin/programs/step/{hostile_step.pk}/send-test/").status_code == 302
    (message,) = mailbox.wait_for(1)
    plain = message.get_body(("plain",)).get_content()
    assert "<form action=//evil><input name=x></form>" in plain and "&lt;" not in plain
    assert "//raw" not in plain and "alert(2)" not in plain  # raw HTML is sanitised away, as in the HTML part
    html = message.get_body(("html",)).get_content()
    assert "<form action=//evil" not in html and "<script>alert" not in html  # nh3 sanitises the HTML part
