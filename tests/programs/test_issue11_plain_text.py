"""Issue 11, item 9: the text/plain part of a lesson is plain text, not the Markdown source.

The body goes through the one Markdown renderer (sanitised) and is read back as text: paragraphs
apart, list items one a line, links as "text (url)", emphasis without markers.
"""

import pytest

from programs import enrollments
from programs.plaintext import html_to_text, markdown_to_text
from tests.factories import program_with_steps
from tests.programs.conftest import utc

BODY = """Pointing the foot down (**plantarflexion**) and pulling it up (_dorsiflexion_) is the whole game.
Take it *slowly*.

**Today's five minutes**

1. Sit tall, both feet on the [FoosFoot](https://hodhod.example/shop/foosfoot/).
2. Ten slow points.
3. Ten slow pulls.

- toes
- heels

_Stop if anything hurts sharply._ Questions? <https://hodhod.example/faq/>
"""

EXPECTED = """Pointing the foot down (plantarflexion) and pulling it up (dorsiflexion) is the whole game. Take it slowly.

Today’s five minutes

1. Sit tall, both feet on the FoosFoot (https://hodhod.example/shop/foosfoot/).
2. Ten slow points.
3. Ten slow pulls.

- toes
- heels

Stop if anything hurts sharply. Questions? https://hodhod.example/faq/
"""


@pytest.mark.django_db
def test_the_text_part_of_a_sent_lesson_is_readable_plain_text(send_now, mailbox):
    program = program_with_steps(1, name="Foundations")
    program.steps.update(body=BODY)
    enrollments.enroll(
        program=program, email="reader@example.com", origin="order", timezone_name="UTC", now=utc(2026, 3, 2, 6)
    )
    send_now(utc(2026, 3, 2, 8))
    (message,) = mailbox.wait_for(1)
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # SMTP's line ends
    assert EXPECTED in text
    body = text[text.index("Pointing") : text.index("--\n")]
    for marker in ("**", "_", "*", "[", "](", "<http"):
        assert marker not in body, marker
    html = message.get_body(("html",)).get_content()
    assert "<strong>plantarflexion</strong>" in html and "<em>dorsiflexion</em>" in html  # the HTML part as before


def test_markdown_to_text_matches_the_example():
    assert markdown_to_text(BODY) == EXPECTED


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo\n"),
        ("<p>a<br>b</p>", "a\nb\n"),
        ('<p><a href="https://x.example/">https://x.example/</a></p>', "https://x.example/\n"),
        ('<p><a href="mailto:hi@x.example">hi@x.example</a></p>', "hi@x.example\n"),
        ('<ol start="3"><li>c</li><li>d</li></ol>', "3. c\n4. d\n"),
        ("<ul><li><p>loose</p></li><li><p>list</p></li></ul>", "- loose\n- list\n"),
        ("<ul><li>a<ul><li>nested</li></ul></li></ul>", "- a\n  - nested\n"),
        ("<ul><li>one</li></ul><ol><li>two</li></ol>", "- one\n\n1. two\n"),
        ("<h2>Title</h2><p>Text &amp; more &lt;b&gt;</p>", "Title\n\nText & more <b>\n"),
        ("<pre><code>a  b\n  c</code></pre>", "a  b\n  c\n"),
        ('<p><img src="x.png" alt="A foot"> and <code>code</code></p>', "A foot and code\n"),
        ("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>", "a | b\n\n1 | 2\n"),
        ("", "\n"),
    ],
)
def test_html_to_text(html, text):
    assert html_to_text(html) == text
