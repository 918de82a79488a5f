"""A lesson's Markdown as readable plain text, for the text/plain part of its email (issue 11, item 9).

The Markdown goes through the one renderer (`core.markdown`, sanitised) and the HTML it gives is
read back as text: paragraphs apart by a blank line, list items one a line ("- " or "1. "),
a link as "text (url)", emphasis without its markers, entities as the characters they stand for.
So the text part says what the HTML part says, and no staff-typed markup survives in either.
"""

import re
from html.parser import HTMLParser

from core.markdown import render_markdown

_BLOCKS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "figure",
    "figcaption", "dl", "dt", "dd", "hr",
}  # fmt: skip
_SPACES = re.compile(r"[ \t\r\n\f]+")


class _TextReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, int | None]] = []  # (text, id of the outermost list it is in)
        self.inline: list[str] = []
        self.item_prefix = ""  # the marker of the list item being read, until its first text is flushed
        self.lists: list[list] = []  # a stack of [tag, next number, serial]
        self.list_serial = 0
        self.cells = 0  # cells read in the current table row
        self.links: list[tuple[str, int]] = []  # a stack of (href, where its text starts in `inline`)
        self.in_pre = 0

    def flush(self) -> None:
        text = "".join(self.inline)
        text = text.strip("\n") if self.in_pre else _SPACES.sub(" ", text).strip()
        self.inline = []
        if not text:
            return  # an item's marker waits for its first text (a loose list wraps it in <p>)
        indent = "  " * max(len(self.lists) - 1, 0) if self.item_prefix else ""
        self.blocks.append((f"{indent}{self.item_prefix}{text}", self.lists[0][2] if self.lists else None))
        self.item_prefix = ""

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS or tag in {"ul", "ol", "li"}:
            self.flush()
        if tag in {"ul", "ol"}:
            start = dict(attrs).get("start") or "1"
            self.list_serial += 1
            self.lists.append([tag, int(start) if start.isdigit() else 1, self.list_serial])
        elif tag == "li":
            current = self.lists[-1] if self.lists else ["ul", 1]
            self.item_prefix = f"{current[1]}. " if current[0] == "ol" else "- "
            current[1] += 1
        elif tag == "pre":
            self.in_pre += 1
        elif tag == "br":
            self.inline.append("\n" if self.in_pre else " \x00 ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.inline)))
        elif tag == "img":
            self.inline.append(dict(attrs).get("alt") or "")
        elif tag == "tr":
            self.cells = 0
        elif tag in {"td", "th"}:
            self.inline.append(" | " if self.cells else "")
            self.cells += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "hr":
            self.blocks.append(("----", False))

    def handle_endtag(self, tag):
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = _SPACES.sub(" ", "".join(self.inline[start:])).strip()
            if href and href not in {text, f"mailto:{text}"}:
                self.inline.append(f" ({href})" if text else href)
        elif tag in _BLOCKS or tag in {"ul", "ol", "li"}:
            self.flush()
            if tag == "li":
                self.item_prefix = ""
            elif tag == "pre":
                self.in_pre -= 1
            elif tag in {"ul", "ol"} and self.lists:
                self.lists.pop()

    def handle_data(self, data):
        self.inline.append(data)

    def text(self) -> str:
        self.flush()
        out = []
        previous_list = None
        for text, in_list in self.blocks:
            if out:  # the items of one list go one a line; anything else stands apart
                out.append("\n" if in_list is not None and in_list == previous_list else "\n\n")
            out.append(text)
            previous_list = in_list
        # A <br> is a line break inside its paragraph: drop the spaces around its marker.
        return re.sub(r" ?\x00 ?", "\n", "".join(out)).strip() + "\n"


def html_to_text(html: str) -> str:
    """Readable plain text of (sanitised) HTML."""
    reader = _TextReader()
    reader.feed(html or "")
    reader.close()
    return reader.text()


def markdown_to_text(source: str) -> str:
    """Markdown → the one sanitised HTML → plain text."""
    return html_to_text(render_markdown(source))
