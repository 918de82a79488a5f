"""Labels and help staff can read without training: "Lessons start on", "Send at (local hour)", "Order" (issue 11,
item 12). No column changes."""

from django.db import migrations, models

import programs.models
import programs.validators


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0008_record_welcome_mails"),
    ]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="due_at",
            field=models.DateTimeField(
                help_text="The instant of the enrollment's local send hour on the lesson's day.",
                verbose_name="due at (UTC)",
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="anchor_date",
            field=models.DateField(
                blank=True,
                help_text="The local date of the lesson below; the later ones follow on the program's send days.",
                null=True,
                verbose_name="lessons start on",
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="anchor_day",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="Its order in the program (0 is the first lesson).",
                verbose_name="starting with lesson",
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="send_hour",
            field=models.PositiveSmallIntegerField(
                help_text="Lessons go out at this hour in the enrollment's time zone (19 is 19:00).",
                validators=[programs.validators.validate_send_hour],
                verbose_name="send at (local hour)",
            ),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="timezone",
            field=models.CharField(
                default="UTC",
                help_text="e.g. Europe/Berlin",
                max_length=64,
                validators=[programs.validators.validate_time_zone],
                verbose_name="time zone",
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="granted_by",
            field=models.ManyToManyField(
                blank=True,
                help_text="Buying any of these products enrolls the buyer.",
                related_name="granted_programs",
                to="shop.product",
                verbose_name="products that grant it",
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="send_hour",
            field=models.PositiveSmallIntegerField(
                default=8,
                help_text="The hour new enrollments get their lessons, each in their own time zone (8 is 08:00).",
                validators=[programs.validators.validate_send_hour],
                verbose_name="send at (local hour)",
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="send_weekdays",
            field=models.JSONField(
                default=programs.models.every_day,
                help_text="Days lessons may go out, 0 = Monday … 6 = Sunday.",
                verbose_name="send days",
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="day",
            field=models.PositiveSmallIntegerField(
                help_text="The lesson's place in the program, counted in send days: 0 is the first lesson, 1 goes "
                "out on the next send day, and so on.",
                verbose_name="order",
            ),
        ),
    ]
