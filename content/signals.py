"""Keep `Article.updated_at` true to everything its page shows.

An article page is revalidated (ETag/Last-Modified) and its rendered fragments
cached by one cheap query on the article row. That holds only if editing what
the page shows besides the row — its FAQ entries, links, tags — moves the
article's `updated_at` too ("touch the parent"). These receivers do that, and
forget the footer's cached list when a site page changes (footer.py).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from content.footer import forget_footer
from content.models import (
    Article,
    FaqCategory,
    FaqEntry,
    FaqEntryArticle,
    FurtherReading,
    SitePage,
    Tag,
    touch_articles,
)


@receiver([post_save, post_delete], sender=FurtherReading)
@receiver([post_save, post_delete], sender=FaqEntryArticle)  # saved by the admin's inlines, not .add()
def _link_changed(sender, instance: FurtherReading | FaqEntryArticle, **kwargs):
    touch_articles(pks=[instance.article_id])


@receiver(post_save, sender=FaqEntry)
@receiver(pre_delete, sender=FaqEntry)
def _faq_entry_changed(sender, instance: FaqEntry, **kwargs):
    touch_articles(faq_entry=instance)


@receiver(post_save, sender=Tag)
@receiver(pre_delete, sender=Tag)
def _tag_changed(sender, instance: Tag, **kwargs):
    touch_articles(tag=instance)


@receiver(m2m_changed, sender=FaqEntry.articles.through)
@receiver(m2m_changed, sender=Article.tags.through)
def _article_relations_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if isinstance(instance, Article):
        touch_articles(pks=[instance.pk])
    elif action == "pre_clear":  # a FAQ entry or tag dropping all its articles
        touch_articles(faq_entry=instance) if isinstance(instance, FaqEntry) else touch_articles(tag=instance)
    else:
        touch_articles(pks=pk_set or [])


@receiver(post_save, sender=FaqCategory)
def _faq_category_changed(sender, instance: FaqCategory, **kwargs):
    FaqEntry.objects.filter(category=instance).update(updated_at=timezone.now())


@receiver([post_save, post_delete], sender=SitePage)
def _site_page_changed(sender, instance: SitePage, **kwargs):
    forget_footer()
