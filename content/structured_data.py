"""schema.org objects for JSON-LD (https://developers.google.com/search/docs/appearance/structured-data)."""

from collections.abc import Iterable

from django.conf import settings

from content.models import Article, FaqEntry

PUBLISHER = {"@type": "Organization", "name": "Hod & Hod LLC", "url": settings.SITE_URL}


def blog_posting(article: Article) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": article.title[:110],
        "description": article.page_description,
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": article.updated_at.isoformat() if article.updated_at else None,
        "author": {"@type": "Person" if article.author_id or article.author_name else "Organization",
                   "name": article.author_display},
        "publisher": PUBLISHER,
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.canonical},
        "url": article.canonical,
        "wordCount": len(article.body_markdown.split()),
        "keywords": [tag.name for tag in article.tags.all()],
    }  # fmt: skip
    if article.hero_image:
        data["image"] = [article.hero_image_absolute]
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def faq_page(entries: Iterable[FaqEntry]) -> dict | None:
    """A FAQPage of the given entries; None when there are none (no empty FAQPage)."""
    questions = [
        {
            "@type": "Question",
            "name": entry.question,
            "acceptedAnswer": {"@type": "Answer", "text": entry.answer_html},
        }
        for entry in entries
    ]
    if not questions:
        return None
    return {"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": questions}
