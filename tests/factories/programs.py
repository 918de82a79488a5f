"""factory_boy factories for the programs app."""

import datetime as dt

import factory

from core.models import Suppression
from programs.models import Delivery, Enrollment, Program, Step

__all__ = [
    "DeliveryFactory",
    "EnrollmentFactory",
    "ProgramFactory",
    "StepFactory",
    "SuppressionFactory",
    "program_with_steps",
]


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    description = "Five minutes a day."
    is_active = True
    is_public = False
    send_hour = 8

    @factory.post_generation
    def granted_by(self, create, products, **kwargs):
        if create and products:
            self.granted_by.add(*products)


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    program = factory.SubFactory(ProgramFactory)
    day = factory.Sequence(lambda n: n)
    subject = factory.LazyAttribute(lambda o: f"Lesson {o.day + 1}")
    body = factory.LazyAttribute(lambda o: f"Today: **{o.day + 1}0 slow points** and pulls.\n\n- toes\n- heels")


class EnrollmentFactory(factory.django.DjangoModelFactory):
    """A bare active enrollment without deliveries; use programs.enrollments.enroll() for a scheduled one."""

    class Meta:
        model = Enrollment

    program = factory.SubFactory(ProgramFactory)
    email = factory.Sequence(lambda n: f"learner{n}@example.com")
    origin = Enrollment.Origin.STAFF
    timezone = "Europe/Berlin"
    send_hour = 8
    status = Enrollment.Status.ACTIVE


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    enrollment = factory.SubFactory(EnrollmentFactory)
    step = factory.SubFactory(StepFactory, program=factory.SelfAttribute("..enrollment.program"))
    due_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suppression

    email = factory.Sequence(lambda n: f"gone{n}@example.com")
    reason = Suppression.Reason.MANUAL


def program_with_steps(days: int = 3, **program_fields) -> Program:
    program = ProgramFactory(**program_fields)
    for day in range(days):
        StepFactory(program=program, day=day)
    return program
