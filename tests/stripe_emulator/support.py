"""What the emulator's tests share: a browser that does not follow redirects, a webhook receiver
that verifies every delivery with the stripe library, an HTML form reader that submits a page's
form as a browser would, and a check of object shapes against the stripe library's own types.
"""

import threading
import time
import types
import typing
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.error import HTTPError
from urllib.parse import urlencode, urljoin
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener

import stripe
from django.conf import settings

SECRET_KEY = "sk_test_emulator_tests"


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


browser = build_opener(ProxyHandler({}), _NoRedirect)


def fetch(url, data=None, headers=None):
    """(status, headers, body text) without following redirects."""
    request = Request(url, data=urlencode(data).encode() if data is not None else None, headers=headers or {})
    try:
        with browser.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except HTTPError as error:
        return error.code, error.headers, error.read().decode()


class WebhookReceiver:
    """A stdlib HTTP server standing in for the shop's webhook: records requests, answers scripted statuses."""

    def __init__(self):
        self.received = []  # (headers dict, raw body bytes)
        self.statuses = []  # answered in order; 200 once exhausted
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.changed:
                    receiver.received.append((dict(self.headers), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        """The received bodies, each verified with stripe.Webhook.construct_event."""
        with self.changed:
            received = list(self.received)
        return [
            stripe.Webhook.construct_event(body, headers["Stripe-Signature"], settings.STRIPE_WEBHOOK_SECRET)
            for headers, body in received
        ]

    def wait_for(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {count} webhook requests, got {len(self.received)}"
                self.changed.wait(left)
        return self.events()

    def wait_for_type(self, event_type, count=1, timeout=10):
        """The first `count` verified events of one type, waiting until they have all arrived."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [event for event in self.events() if event.type == event_type]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                assert left > 0, f"expected {count} {event_type} events, got {len(found)}"
                self.changed.wait(left)

    def types(self, count, timeout=10):
        """The types of the first `count` deliveries, in the order they arrived."""
        return [event.type for event in self.wait_for(count, timeout)[:count]]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class PageForm(HTMLParser):
    """The fields, labels, buttons and forms of a page, to check it and to submit it like a browser."""

    def __init__(self):
        super().__init__()
        self.html_lang = None
        self.labels = set()
        self.fields = {}
        self.buttons = []
        self.external = []
        self.forms = []  # each: {"action", "inputs": [attrs], "selects": {name: [(value, selected)]}, "buttons": [...]}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag == "label":
            self.labels.add(attrs.get("for"))
        if tag in ("input", "select") and attrs.get("type") != "hidden":
            self.fields[attrs["name"]] = attrs
        if tag == "button":
            self.buttons.append(attrs.get("value"))
        if tag in ("script", "link", "img") or (attrs.get("src") or "").startswith("http"):
            self.external.append(tag)
        self._form_tag(tag, attrs)

    def _form_tag(self, tag, attrs):
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "inputs": [], "selects": {}, "buttons": []})
        elif not self.forms:
            return
        elif tag == "input":
            self.forms[-1]["inputs"].append(attrs)
        elif tag == "select":
            self._select = attrs["name"]
            self.forms[-1]["selects"][self._select] = []
        elif tag == "option" and self._select:
            self.forms[-1]["selects"][self._select].append((attrs.get("value"), "selected" in attrs))
        elif tag == "button":
            self.forms[-1]["buttons"].append(attrs)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def read_page(html):
    page = PageForm()
    page.feed(html)
    return page


def submit(page_url, html, action, **values):
    """POST the form holding the button `action` the way a browser would: its fields' current values
    (checked boxes and radios only, the selected option), `values` typed over them, and the button.
    A value of None unticks a box. Returns (status, headers, body)."""
    page = read_page(html)
    for form in page.forms:
        if any(button.get("value") == action for button in form["buttons"]):
            break
    else:
        raise AssertionError(f"no form with a {action!r} button")
    data = {}
    for attrs in form["inputs"]:
        if attrs.get("type") in ("checkbox", "radio"):
            if "checked" in attrs:
                data[attrs["name"]] = attrs.get("value", "on")
        else:
            data[attrs["name"]] = attrs.get("value") or ""
    for name, options in form["selects"].items():
        chosen = [value for value, selected in options if selected] or [options[0][0]]
        data[name] = chosen[0]
    for name, value in values.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    data["action"] = action
    return fetch(urljoin(page_url, form["action"]), data=data)


def _annotations(cls):
    found = {}
    for klass in reversed(cls.__mro__):
        found.update(getattr(klass, "__annotations__", {}))
    return {name: hint for name, hint in found.items() if not name.startswith("_") and name != "OBJECT_NAME"}


def _optional(hint):
    return type(None) in typing.get_args(hint) or (isinstance(hint, types.UnionType) and type(None) in hint.__args__)


def shape_problems(obj, cls):
    """How a JSON object differs from the stripe library's type of it (at the pinned version): fields the
    type does not have, and required (non-Optional) fields missing. Empty when the shape matches."""
    fields = _annotations(cls)
    unknown = sorted(set(obj) - set(fields))
    missing = sorted(name for name, hint in fields.items() if name not in obj and not _optional(hint))
    return [f"unknown: {name}" for name in unknown] + [f"missing: {name}" for name in missing]
