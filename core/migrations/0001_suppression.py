from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Suppression",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("email", models.EmailField(help_text="Stored lower-cased.", max_length=254, unique=True)),
                (
                    "reason",
                    models.CharField(
                        choices=[("hard_bounce", "Hard bounce"), ("complaint", "Spam complaint"), ("manual", "Manual")],
                        max_length=16,
                    ),
                ),
                (
                    "source",
                    models.CharField(blank=True, help_text="Provider and event id, or the staff user.", max_length=200),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"ordering": ["-created_at"]},
        ),
    ]
