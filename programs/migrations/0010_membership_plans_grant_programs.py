"""Membership plans grant programs (issue 13): Program.plans, the member origin, the stopped status (a member's
program that no membership grants now), and one member enrollment per program and address."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_reconcile_subscriptions_every_fifteen_minutes"),
        ("programs", "0009_staff_readable_field_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="plans",
            field=models.ManyToManyField(
                blank=True,
                help_text="Members of any of these plans get it while their membership gives access (trialing, active or past due); it stops where they are when the membership ends and continues from there if they rejoin.",
                related_name="granted_programs",
                to="billing.plan",
                verbose_name="membership plans that grant it",
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="origin",
            field=models.CharField(
                choices=[("order", "Order"), ("signup", "Free signup"), ("member", "Membership"), ("staff", "Staff")],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending_confirmation", "Pending confirmation"),
                    ("active", "Active"),
                    ("paused", "Paused"),
                    ("completed", "Completed"),
                    ("unsubscribed", "Unsubscribed"),
                    ("cancelled", "Cancelled"),
                    ("bounced", "Bounced"),
                    ("stopped", "Stopped (membership ended)"),
                ],
                default="active",
                max_length=24,
            ),
        ),
        migrations.AddConstraint(
            model_name="enrollment",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("email"),
                models.F("program"),
                condition=models.Q(("origin", "member")),
                name="enrollment_once_per_member_program",
            ),
        ),
    ]
