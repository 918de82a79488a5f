"""Each signup confirmation mailed is recorded, so the mails to one address are limited (issue 10, item 5)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0006_send_hour_and_time_zone_validators"),
    ]

    operations = [
        migrations.CreateModel(
            name="SignupConfirmationMail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "email",
                    models.EmailField(help_text="Lower-cased, as the suppression list keeps it.", max_length=254),
                ),
                ("sent_at", models.DateTimeField()),
                (
                    "program",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="programs.program",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["program", "email", "sent_at"], name="signup_confirmation_by_address")
                ],
            },
        ),
    ]
