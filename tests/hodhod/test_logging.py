import logging

from core.redaction import mask_email, redact_path
from programs.tracking import sign_link, sign_pixel


def test_request_log_line_has_id_method_path_status_duration(client, caplog):
    with caplog.at_level(logging.INFO, logger="hodhod.request"):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="abcdef0123456789")
    assert response["X-Request-ID"] == "abcdef0123456789"
    (record,) = [r for r in caplog.records if r.name == "hodhod.request"]
    assert (record.method, record.path, record.status) == ("GET", "/healthz", 200)
    assert record.request_id == "abcdef0123456789"
    assert record.duration_ms >= 0


def test_tokens_and_emails_are_not_logged_in_full():
    token = "Zx8v3kQ9wT2mN7pL4rB6yH1cF5dJ0sAgE7uR2iO4pL9"
    assert token not in redact_path(f"/orders/{token}/")
    assert redact_path(f"/orders/{token}/").startswith("/orders/Zx8v3k")
    assert mask_email("jane.doe@example.com") == "j***@example.com"


def test_request_lines_are_json_when_debug_is_off(settings):
    import json
    import logging.config

    assert settings.DEBUG is False
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"
    config = settings.LOGGING["formatters"]["json"]
    formatter = logging.config.DictConfigurator({}).configure_formatter(dict(config))
    record = logging.LogRecord("hodhod.request", logging.INFO, __file__, 1, "GET %s 200", ("/healthz",), None)
    record.request_id, record.status, record.duration_ms = "abcdef0123456789", 200, 1.5
    line = json.loads(formatter.format(record))
    assert line["message"] == "GET /healthz 200"
    assert (line["request_id"], line["status"], line["levelname"]) == ("abcdef0123456789", 200, "INFO")


def test_no_full_email_or_token_leaves_in_a_message_or_a_traceback():
    import io

    from core.redaction import RedactFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter())
    logger = logging.getLogger("tests.redact")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(
                "could not mail jane.doe@example.com about /orders/Zx8v3kQ9wT2mN7pL4rB6yH1cF5dJ0sAgE7uR2iO4pL9/"
            )
        except ValueError:
            logger.exception("receiver failed for %s", "john.smith@example.org")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "receiver failed for j***@example.org" in output
    assert "j***@example.com" in output and "Traceback" in output
    assert "jane.doe" not in output and "john.smith" not in output
    assert "Zx8v3kQ9wT2mN7pL4rB6yH1cF5dJ0sAgE7uR2iO4pL9" not in output


def test_tracked_lesson_links_and_pixels_are_shortened_in_the_log():
    link = sign_link(delivery_id=123456, url="https://www.youtube.com/watch?v=abcdefghijk")
    pixel = sign_pixel(delivery_id=123456)
    for path in (f"/l/{link}/", f"/o/{pixel}/"):
        assert (link if path.startswith("/l/") else pixel) not in redact_path(path)
        assert redact_path(path).startswith(path[:9])  # recognisable: the first characters stay
