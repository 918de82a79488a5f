"""Each enrollment records when its welcome email went, so it goes once (issue 11, item 2)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0007_record_signup_confirmation_mails"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="welcomed_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the welcome email went out (or the suppression list held it back); it goes once.",
                null=True,
            ),
        ),
    ]
