"""The FAQ entry ↔ article link becomes a model of its own, on the same table, so the admin can
label its rows (issue 11). Nothing changes in the database: the table, its columns and its unique
constraint are the ones Django made for the plain many-to-many."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0002_drop_status_index_covered_by_live_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="FaqEntryArticle",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "article",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="faq_links",
                                to="content.article",
                            ),
                        ),
                        (
                            "faqentry",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="article_links",
                                to="content.faqentry",
                                verbose_name="FAQ entry",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "FAQ entry shown in an article",
                        "verbose_name_plural": "FAQ entries shown in articles",
                        "db_table": "content_faqentry_articles",
                        "unique_together": {("faqentry", "article")},
                    },
                ),
                migrations.AlterField(
                    model_name="faqentry",
                    name="articles",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text="Also shown inside these articles.",
                        related_name="faq_entries",
                        through="content.FaqEntryArticle",
                        to="content.article",
                    ),
                ),
            ],
        ),
    ]
