"""Issue 11, item 5: site pages (shipping, returns, warranty, contact, privacy, terms) written in
the admin, served at /pages/<slug>/, in the sitemap, and listed in every page's footer."""

import re
from xml.etree import ElementTree

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.footer import forget_footer, site_page_links
from content.models import SitePage
from tests.factories import ArticleFactory, SitePageFactory

pytestmark = pytest.mark.django_db

SITE_FOOTER = re.compile(r'<footer class="site-footer">(.*?)</footer>', re.DOTALL)
PAGE_LINK = re.compile(r'<a href="(/pages/[^"]+/)"[^>]*>([^<]*)</a>')
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def footer_pages(html: str) -> list[tuple[str, str]]:
    """(url, title) of the site pages the page's footer links, in order."""
    [footer] = SITE_FOOTER.findall(html)
    return PAGE_LINK.findall(footer)


@pytest.fixture
def shipping():
    return SitePageFactory(
        slug="shipping",
        title="Shipping",
        summary="Costs and delivery times.",
        body_markdown="## Costs\n\nUS standard is **free** over 100 USD.<script>alert('x')</script>\n",
        position=1,
    )


@pytest.fixture
def staff_user(django_user_model):
    def make(*codenames: str):
        user = django_user_model.objects.create_user(f"staff-{len(codenames)}", password="pw-staff-123", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        return django_user_model.objects.get(pk=user.pk)

    return make


def test_a_site_page_renders_its_markdown_sanitised_once_at_save(client, shipping):
    assert shipping.body_html.startswith("<h2>Costs</h2>")
    assert "<script" not in shipping.body_html and "alert" not in shipping.body_html

    response = client.get("/pages/shipping/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Shipping · Hod &amp; Hod</title>" in html
    assert '<meta name="description" content="Costs and delivery times.">' in html
    assert '<link rel="canonical" href="http://testserver/pages/shipping/">' in html
    assert "US standard is <strong>free</strong> over 100 USD." in html
    assert "alert(" not in html
    assert "public" in response["Cache-Control"]


def test_an_unknown_slug_is_the_friendly_404_page(client, shipping):
    response = client.get("/pages/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html
    assert footer_pages(html) == [("/pages/shipping/", "Shipping")]  # a way on from the 404


def test_an_unpublished_page_is_404_to_the_public_and_a_private_preview_for_allowed_staff(client, shipping, staff_user):
    draft = SitePageFactory(slug="returns", title="Returns", is_published=False, body_markdown="Thirty days.")
    assert client.get("/pages/returns/").status_code == 404

    client.force_login(staff_user())  # staff, but may not see site pages
    assert client.get("/pages/returns/").status_code == 404

    client.force_login(staff_user("view_sitepage"))
    response = client.get("/pages/returns/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Thirty days." in html and "not published" in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    assert ("/pages/returns/", "Returns") not in footer_pages(html)  # not listed until published
    assert client.get("/pages/shipping/").status_code == 200  # published pages as usual
    assert draft.get_absolute_url() == "/pages/returns/"


def test_an_unchanged_page_costs_no_query_and_every_edit_shows(client, shipping, django_assert_num_queries):
    first = client.get("/pages/shipping/").content.decode()
    with django_assert_num_queries(0):  # the version cached (at most STOCK_SECONDS), the page under it
        assert client.get("/pages/shipping/").content.decode() == first

    shipping.body_markdown = "Express takes **1–2 business days**."
    shipping.save()
    edited = client.get("/pages/shipping/").content.decode()
    assert "<strong>1–2 business days</strong>" in edited and "over 100 USD" not in edited

    etag = client.get("/pages/shipping/")["ETag"]
    assert client.get("/pages/shipping/", headers={"if-none-match": etag}).status_code == 304

    shipping.is_published = False
    shipping.save()
    assert client.get("/pages/shipping/").status_code == 404
    shipping.is_published = True
    shipping.save()
    assert client.get("/pages/shipping/").status_code == 200
    shipping.delete()
    assert client.get("/pages/shipping/").status_code == 404


def test_the_sitemap_lists_the_home_page_and_the_published_site_pages(client, shipping):
    SitePageFactory(slug="terms", position=9)
    SitePageFactory(slug="draft", is_published=False)
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 - our own output
    urls = {
        url.find("sm:loc", SITEMAP_NS).text: url.find("sm:lastmod", SITEMAP_NS)
        for url in root.findall("sm:url", SITEMAP_NS)
    }
    assert "http://testserver/" in urls
    assert {"http://testserver/pages/shipping/", "http://testserver/pages/terms/"} <= set(urls)
    assert "http://testserver/pages/draft/" not in urls
    assert urls["http://testserver/pages/shipping/"].text == shipping.updated_at.date().isoformat()


def test_the_footer_lists_the_published_pages_in_order_on_every_kind_of_page(client, product):
    SitePageFactory(slug="terms", title="Terms of sale", position=6)
    SitePageFactory(slug="shipping", title="Shipping", position=1)
    SitePageFactory(slug="secret", title="Not yet", position=0, is_published=False)
    SitePageFactory(slug="returns", title="Returns", position=2)
    ArticleFactory(slug="a")
    expected = [("/pages/shipping/", "Shipping"), ("/pages/returns/", "Returns"), ("/pages/terms/", "Terms of sale")]

    pages = ["/", "/shop/foosfoot/", "/blog/a/", "/faq/", "/blog/", "/pages/terms/", "/cart/"]
    for url in pages:
        assert footer_pages(client.get(url).content.decode()) == expected, url
    assert client.post("/shop/foosfoot/", {"quantity": 1}).status_code in (302, 303)
    cart = client.get("/cart/").content.decode()
    assert "FoosFoot" in cart and footer_pages(cart) == expected
    assert "API docs" in cart  # a small link for developers; shoppers get the pages above


@pytest.mark.parametrize("change", ["published", "renamed", "moved", "unpublished", "deleted"])
def test_the_footer_follows_every_change_even_on_cached_pages(client, change):
    shipping = SitePageFactory(slug="shipping", title="Shipping", position=1)
    returns = SitePageFactory(slug="returns", title="Returns", position=2)
    draft = SitePageFactory(slug="warranty", title="Warranty", position=3, is_published=False)
    ArticleFactory(slug="a")
    for url in ("/blog/a/", "/faq/", "/pages/shipping/"):
        client.get(url)  # now in the page cache, with the footer as it was

    expected = [("/pages/shipping/", "Shipping"), ("/pages/returns/", "Returns")]
    if change == "published":
        draft.is_published = True
        draft.save()
        expected.append(("/pages/warranty/", "Warranty"))
    elif change == "renamed":
        returns.title = "Returns and refunds"
        returns.save()
        expected[1] = ("/pages/returns/", "Returns and refunds")
    elif change == "moved":
        shipping.position = 5
        shipping.save()
        expected.reverse()
    elif change == "unpublished":
        returns.is_published = False
        returns.save()
        expected.pop()
    else:
        returns.delete()
        expected.pop()
    for url in ("/blog/a/", "/faq/", "/pages/shipping/", "/"):
        assert footer_pages(client.get(url).content.decode()) == expected, url


def site_page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200, url
    return sum("content_sitepage" in query["sql"] for query in context.captured_queries)


def test_the_footer_costs_no_query_once_cached_and_one_when_cold(client, product):
    SitePageFactory(slug="shipping")
    ArticleFactory(slug="a")
    assert client.post("/shop/foosfoot/", {"quantity": 1}).status_code in (302, 303)  # a session cart
    site_page_links()  # warm
    for url in ("/", "/shop/foosfoot/", "/cart/", "/blog/a/", "/faq/", "/blog/"):
        assert site_page_queries(client, url) == 0, url
    # The page's own version, and its row: with a session the page is rendered around base.html
    # each time (it may show flash messages), as the blog's pages are.
    assert site_page_queries(client, "/pages/shipping/") == 2
    forget_footer()
    assert site_page_queries(client, "/cart/") == 1
    assert site_page_queries(client, "/cart/") == 0


@pytest.mark.parametrize("url", ["/", "/shop/foosfoot/", "/cart/", "/blog/a/", "/pages/shipping/"])
def test_query_counts_do_not_grow_with_the_number_of_site_pages(client, product, url):
    ArticleFactory(slug="a")
    SitePageFactory(slug="shipping")
    client.get(url)  # warm every cache
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(20):
        SitePageFactory()
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(footer_pages(response.content.decode())) == 21
    assert len(many.captured_queries) == len(few.captured_queries), url


def test_publish_and_unpublish_actions_refresh_the_footer(client, django_user_model):
    shipping = SitePageFactory(slug="shipping", title="Shipping", position=1, is_published=False)
    assert footer_pages(client.get("/").content.decode()) == []
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    staff = client.__class__()
    staff.force_login(admin)

    staff.post("/admin/content/sitepage/", {"action": "publish", "_selected_action": [shipping.pk]})
    assert SitePage.objects.get().is_published
    assert footer_pages(client.get("/").content.decode()) == [("/pages/shipping/", "Shipping")]

    staff.post("/admin/content/sitepage/", {"action": "unpublish", "_selected_action": [shipping.pk]})
    assert footer_pages(client.get("/").content.decode()) == []
    assert client.get("/pages/shipping/").status_code == 404


def test_staff_write_a_page_in_the_admin(staff_client):
    SitePageFactory(slug="contact", title="Contact us", summary="Write to us.")
    changelist = staff_client.get("/admin/content/sitepage/?q=write").content.decode()
    assert "Contact us" in changelist and "View on site" in changelist
    response = staff_client.post(
        "/admin/content/sitepage/add/",
        {
            "title": "Warranty",
            "slug": "warranty",
            "summary": "Two years.",
            "body_markdown": "Covered for **two years**. <img src=x onerror=alert(1)>",
            "is_published": "on",
            "position": "3",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = SitePage.objects.get(slug="warranty")
    assert page.body_html == '<p>Covered for <strong>two years</strong>. <img src="x"></p>'
    assert page.get_absolute_url() == "/pages/warranty/"
    assert staff_client.get("/pages/warranty/").status_code == 200
