"""Markdown → safe HTML: the one renderer for articles, FAQ answers and lesson emails.

Staff type Markdown (and may paste raw HTML); readers get only what the allow-list
below keeps: no script or style, no event handlers, no iframes or embeds, no
`javascript:`/`data:` URLs. External links get `rel="noopener"`.
"""

import re

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "small", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}
# Dropped with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "frame"}
URL_SCHEMES = {"http", "https", "mailto"}

_ANCHOR = re.compile(r"<a\s[^>]*>")
_HREF = re.compile(r'\shref="([^"]*)"')
_EXTERNAL = re.compile(r"^(?:https?:)?//", re.IGNORECASE)


def _mark_external(match: re.Match) -> str:
    tag = match.group(0)
    href = _HREF.search(tag)
    if href and _EXTERNAL.match(href.group(1)):
        return tag[:-1] + ' rel="noopener">'
    return tag


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes."""
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        id_prefix="md-",  # an author's {#main} must not clash with the page's own ids
    )
    # nh3's serializer escapes <, > and " inside attribute values, so an <a …> tag
    # of its output ends at the first ">" and its href is the one quoted value.
    return _ANCHOR.sub(_mark_external, clean)


def render_markdown(text: str) -> str:
    """Markdown source → sanitised HTML, ready to be stored and served as is."""
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists", "smarty"], output_format="html")
    return sanitize_html(html)
