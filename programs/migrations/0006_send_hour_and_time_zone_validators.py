"""The send hours and the time zone name their one validator (programs.validators); no column changes."""

import programs.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0005_suppression_moves_to_core"),
    ]

    operations = [
        migrations.AlterField(
            model_name="enrollment",
            name="send_hour",
            field=models.PositiveSmallIntegerField(validators=[programs.validators.validate_send_hour]),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="timezone",
            field=models.CharField(default="UTC", max_length=64, validators=[programs.validators.validate_time_zone]),
        ),
        migrations.AlterField(
            model_name="program",
            name="send_hour",
            field=models.PositiveSmallIntegerField(
                default=8,
                help_text="Default local hour (0–23) lessons are sent at.",
                validators=[programs.validators.validate_send_hour],
            ),
        ),
    ]
