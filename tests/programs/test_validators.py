"""One check of a time zone and of a send hour: the model, the forms, the API and the services refuse alike."""

import pytest
from django.core.exceptions import ValidationError

from programs import enrollments, signups
from programs.forms import SendTimeForm
from programs.models import Enrollment
from programs.validators import SEND_HOUR_MESSAGE, TIME_ZONE_MESSAGE, validate_send_hour, validate_time_zone
from tests.factories import program_with_steps
from tests.programs.conftest import utc


@pytest.mark.parametrize("zone", ["Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires"])
def test_known_zones_pass(zone):
    validate_time_zone(zone)


@pytest.mark.parametrize("zone", ["", "Mars/Olympus_Mons", "../../etc/passwd", "Europe/Berlin\x00", "A" * 65, None, 7])
def test_unknown_zones_are_refused_with_one_code(zone):
    with pytest.raises(ValidationError) as refusal:
        validate_time_zone(zone)
    assert refusal.value.code == "invalid_timezone" and refusal.value.messages == [TIME_ZONE_MESSAGE]


@pytest.mark.parametrize("hour", [0, 8, 23])
def test_hours_of_the_day_pass(hour):
    validate_send_hour(hour)


@pytest.mark.parametrize("hour", [-1, 24, 10**9, None, "8", 8.0, True])
def test_anything_else_is_not_a_send_hour(hour):
    with pytest.raises(ValidationError) as refusal:
        validate_send_hour(hour)
    assert refusal.value.code == "invalid_send_hour" and refusal.value.messages == [SEND_HOUR_MESSAGE]


@pytest.mark.django_db
def test_the_model_fields_carry_the_validators():
    program = program_with_steps(1)
    program.send_hour = 24
    enrollment = Enrollment(program=program, email="a@example.com", origin="staff", timezone="Moon/Base", send_hour=24)
    with pytest.raises(ValidationError) as refusal:
        enrollment.full_clean()
    assert refusal.value.message_dict["timezone"] == [TIME_ZONE_MESSAGE]
    assert refusal.value.message_dict["send_hour"] == [SEND_HOUR_MESSAGE]
    with pytest.raises(ValidationError) as refusal:
        program.full_clean()
    assert refusal.value.message_dict["send_hour"] == [SEND_HOUR_MESSAGE]


@pytest.mark.django_db
def test_the_services_refuse_what_the_forms_refuse_and_fill_in_what_is_absent(settings):
    program = program_with_steps(1, send_hour=9)
    with pytest.raises(ValidationError):
        enrollments.enroll(program=program, email="a@example.com", origin="staff", timezone_name="Moon/Base")
    with pytest.raises(ValidationError):
        signups.signup(program=program, email="a@example.com", send_hour=24)
    assert not Enrollment.objects.exists()
    enrollment = enrollments.enroll(program=program, email="a@example.com", origin="staff", now=utc(2026, 5, 4))
    assert (enrollment.send_hour, enrollment.timezone) == (9, settings.TIME_ZONE)  # the program's, the site's
    with pytest.raises(ValidationError):
        enrollments.change_send_time(enrollment=enrollment, send_hour=None)  # a change names an hour
    with pytest.raises(ValidationError):
        enrollments.change_send_time(enrollment=enrollment, send_hour=7, timezone_name="Nowhere/Special")
    enrollment.refresh_from_db()
    assert (enrollment.send_hour, enrollment.timezone) == (9, settings.TIME_ZONE)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"send_hour": ""}, SEND_HOUR_MESSAGE),
        ({"send_hour": "7.5"}, SEND_HOUR_MESSAGE),
        ({"send_hour": "24"}, SEND_HOUR_MESSAGE),
        ({"send_hour": "8", "timezone": "Nowhere/Special"}, TIME_ZONE_MESSAGE),
    ],
)
def test_the_manage_page_form_uses_the_same_sentences(data, message):
    form = SendTimeForm(data)
    assert not form.is_valid() and form.first_error() == message


def test_an_empty_zone_on_the_manage_page_keeps_the_current_one():
    form = SendTimeForm({"send_hour": "7", "timezone": "  "})
    assert form.is_valid() and form.cleaned_data == {"send_hour": 7, "timezone": ""}
