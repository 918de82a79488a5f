"""The shop's admin pages in Chromium, under the real Content-Security-Policy: the packing slip is styled
from its static stylesheet and prints from a static script (issue 11, item 10), and the order and
product lists fit a 1280×800 screen (item 13). Screenshots under test-results/test_shop_admin_pages-*/.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from shop.models import Order, Product
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.e2e
PASSWORD = "a-long-staff-password-for-tests"
SPRINGFIELD = {"line1": "400 Main St", "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"}
LONG_EMAIL = "alexandra.konstantinopoulou-whitfield@example-household.com"


def log_in(page, username: str = "clerk") -> None:
    get_user_model().objects.create_superuser(username, f"{username}@hodhod.example", PASSWORD)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


@pytest.fixture
def orders(transactional_db):
    """A morning's list: long email addresses, every status, flagged and shipped orders."""
    product = ProductFactory(name="FoosFoot two-pack", sku="HH-FF-2", price=Decimal("109.00"))
    now = timezone.now()
    made = []
    statuses = list(Order.Status)
    for n in range(24):
        status = statuses[n % len(statuses)]
        order = OrderFactory(
            number=f"HH-{n:07d}",
            email=LONG_EMAIL if n % 3 == 0 else f"buyer{n}@example.com",
            status=status,
            total=Decimal("1090.00") if n % 5 == 0 else Decimal("109.00"),
            customer_name="Dana Walker",
            shipping_address=SPRINGFIELD,
            needs_attention=n % 4 == 0,
            paid_at=now if status != Order.Status.PENDING_PAYMENT else None,
            shipped_at=now - timedelta(days=1) if status == Order.Status.SHIPPED else None,
        )
        OrderLineFactory(order=order, product=product, quantity=2 if n % 5 == 0 else 1)
        made.append(order)
    return made


def measure_list(page) -> dict:
    """How the change list sits on the screen: overflow of the results box and of the page, and which
    header or first-column cell wraps onto a second line."""
    return page.evaluate(
        """() => {
            const results = document.querySelector('#changelist .results');
            // An inline element that wraps has one client rect per line: the header's text (not its
            // sort-priority badge) and the order number's link.
            const wrapped = [...document.querySelectorAll('#result_list thead th .text > *, #result_list tbody th a')]
                .filter(el => el.innerText.trim() && el.getClientRects().length > 1).map(el => el.innerText.trim());
            return {
                resultsOverflow: results.scrollWidth - results.clientWidth,
                pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
                tableRight: document.querySelector('#result_list').getBoundingClientRect().right,
                resultsRight: results.getBoundingClientRect().right,
                wrapped,
                headers: [...document.querySelectorAll('#result_list thead th')].map(th => th.textContent.trim()),
            };
        }"""
    )


def test_issue11_item10_the_packing_slip_is_styled_under_the_csp_and_prints(page_recorder, live_server, orders):
    page, step = page_recorder.page, page_recorder.step
    log_in(page)
    order = orders[1]
    page.goto(f"/admin/shop/order/{order.pk}/change/")
    page.locator("#packing-slip").click()
    page.wait_for_url(f"**/admin/shop/order/{order.pk}/packing-slip/")
    csp = page.evaluate("() => fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp
    # The stylesheet's rules apply: the slip's font and table borders, and the toolbar only on screen.
    styles = page.evaluate(
        """() => ({
            font: getComputedStyle(document.body).fontFamily,
            margin: getComputedStyle(document.body).marginTop,
            border: getComputedStyle(document.querySelector('.slip-lines td')).borderBottomStyle,
            button: getComputedStyle(document.querySelector('.slip-print')).backgroundColor,
            addressSize: getComputedStyle(document.querySelector('.slip-address')).fontSize,
        })"""
    )
    assert styles["font"].startswith("system-ui")
    assert styles["border"] == "solid"
    assert styles["button"] == "rgb(11, 93, 59)"
    assert styles["addressSize"] != "16px"
    address = page.locator(".slip-address").inner_text()
    assert address.splitlines() == ["Dana Walker", "400 Main St", "Springfield, IL 62701", "United States"]
    # The print button is shown by the static script, and calls the browser's print.
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name="Print 1 packing slip").click()
    assert page.evaluate("() => window.__printed") == 1
    step("packing slip")
    page.emulate_media(media="print")
    assert page.locator(".slip-toolbar").is_hidden()
    step("packing slip as printed")
    page.emulate_media(media="screen")
    assert page_recorder.console_errors == []
    assert page_recorder.hosts == {live_server.url.split("://")[1]}


def test_issue11_item10_slips_for_a_selection_are_a_get_page_that_reloads_safely(page_recorder, live_server, orders):
    page, step = page_recorder.page, page_recorder.step
    log_in(page)
    page.goto("/admin/shop/order/")
    for order in orders[:3]:
        page.locator(f'input[name="_selected_action"][value="{order.pk}"]').check()
    page.locator('select[name="action"]').select_option("packing_slip")
    page.get_by_role("button", name="Go").click()
    page.wait_for_url("**/admin/shop/order/packing-slips/?ids=*")
    assert page.locator("section.slip").count() == 3
    step("three slips")
    page.reload()  # a GET: no "resubmit the form?" and nothing posted again
    assert page.locator("section.slip").count() == 3
    assert page_recorder.console_errors == []


@pytest.mark.parametrize("model", ["order", "product"])
def test_issue11_item13_the_lists_fit_a_1280_screen(page_recorder, live_server, orders, model):
    page, step = page_recorder.page, page_recorder.step
    for n in range(6):
        ProductFactory(name=f"FoosFoot travel edition {n}", stock=[0, 3, 40][n % 3], price=Decimal("1249.00"))
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page)
    page.goto(f"/admin/shop/{model}/")
    found = measure_list(page)
    step(f"{model} list at 1280")
    assert found["resultsOverflow"] <= 0, found
    assert found["pageOverflow"] <= 0, found
    assert found["tableRight"] <= found["resultsRight"] + 1, found
    assert found["wrapped"] == [], found
    if model == "order":
        assert found["headers"][1:] == ["Number", "Date", "Email", "Status", "Total", "Needs attention", "Shipped"]
        assert page.locator("td.field-total_display").first.inner_text().endswith(" USD")
    else:
        assert page.locator(".stock-state--out").first.evaluate("el => getComputedStyle(el).color") == "rgb(164, 0, 0)"
        assert Product.objects.filter(stock=0).exists()
    assert page_recorder.console_errors == []
