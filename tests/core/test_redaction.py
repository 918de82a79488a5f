"""What core.redaction shortens. Found by the outside probe of 2026-11-30: a checkout's success page
address (`/checkout/success/?session_id=cs_…`, also the Referer of the order page it links to) opens the
order, its customer's email and the order-status link with its token, yet the access log kept the
Checkout Session id whole."""

from core.redaction import redact

SESSION_ID = "cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0123456789abcdefghijklmnop"


def test_checkout_session_ids_in_a_query_are_shortened():
    for path in (f"/checkout/success/?session_id={SESSION_ID}", f"/membership/success/?session_id={SESSION_ID}"):
        line = redact(f'"GET {path} HTTP/1.1" 200 4096')
        assert SESSION_ID not in line
        assert f"?session_id={SESSION_ID[:6]}…" in line


def test_a_referer_with_a_session_id_is_shortened_too():
    line = redact(f'"GET /orders/x/ HTTP/1.1" 200 "http://shop.example/checkout/success/?a=1&session_id={SESSION_ID}"')
    assert SESSION_ID not in line
