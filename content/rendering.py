"""Markdown for articles and FAQ answers: rendered once, when saved (core.markdown), and timed."""

import math

from core.markdown import render_markdown, sanitize_html

__all__ = ["reading_minutes", "render_markdown", "sanitize_html"]

WORDS_PER_MINUTE = 200


def reading_minutes(text: str) -> int:
    """Minutes to read `text` at about 200 words a minute, at least one."""
    return max(1, math.ceil(len((text or "").split()) / WORDS_PER_MINUTE))
