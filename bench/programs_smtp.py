"""Lessons per second through Django's SMTP backend beside a plain smtplib loop, same SMTP sink.

    .venv/bin/python -m bench.programs_smtp [--count 1000] [--rounds 3]

Starts an aiosmtpd sink (the tests' `SmtpSink`) on a free local port in its own
process, so it does not compete with the sender for the GIL, then sends
`--count` lesson emails three ways and prints messages/second:

1. `core.mail.send_templated_email` with the lesson templates (render text+HTML,
   Markdown → sanitised HTML, build the MIME message, RFC 8058 headers) over one
   reused Django SMTP connection;
2. the same, opening a new connection per message (what one send task does);
3. a plain `smtplib` loop sending one pre-built message's bytes over one session
   (the floor: only the SMTP conversation).

The ratio of (1) to (3) shows what Django's rendering and backend cost per lesson.
No database is needed: the program and step are unsaved model instances.
"""

import argparse
import multiprocessing
import smtplib
import statistics
import sys
import time

from bench.common import configure_django


def _run_sink(port_queue, stop_event, count) -> None:
    import logging

    from bench.smtp_sink import SmtpSink

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = SmtpSink()
    sink.start()
    port_queue.put(sink.port)
    stop_event.wait()
    count.value = len(sink.collector.raw)
    last = sink.collector.raw[-1] if sink.collector.raw else b""
    port_queue.put(last)
    sink.stop()


def _configure_django(port: int) -> None:
    configure_django(
        SITE_URL="https://shop.hodhod.example",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_USE_TLS="0",
    )


def _build_message_bytes(kwargs: dict) -> bytes:
    """The same lesson, rendered once, as the bytes Django would put on the wire."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string

    context = kwargs["context"]
    message = EmailMultiAlternatives(
        subject=kwargs["subject"],
        body=render_to_string(f"{kwargs['template']}.txt", context),
        from_email=kwargs["from_email"],
        to=[kwargs["to"]],
        headers=kwargs["headers"],
    )
    message.attach_alternative(render_to_string(f"{kwargs['template']}.html", context), "text/html")
    return message.message().as_bytes(linesep="\r\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    count = args.count

    port_queue, stop_event, received = multiprocessing.Queue(), multiprocessing.Event(), multiprocessing.Value("i", 0)
    sink = multiprocessing.Process(target=_run_sink, args=(port_queue, stop_event, received), daemon=True)
    sink.start()
    port = port_queue.get(timeout=20)
    try:
        _configure_django(port)
        from django.conf import settings
        from django.core.mail import get_connection

        from core.mail import MailKind, send_templated_email
        from programs import demo, lessons
        from programs.models import Enrollment, Program, Step

        program = Program(name="FoosFoot Foundations", slug="foosfoot-foundations")
        subject, why, drills = demo.FOUNDATIONS[3]
        step = Step(program=program, day=3, subject=subject, body=demo._body(why, drills))
        enrollment = Enrollment(program=program, email="reader@example.com", name="Dana", token="t" * 43)

        def lesson_kwargs(n: int) -> dict:
            unsubscribe = f"{settings.SITE_URL}/programs/{enrollment.token}/unsubscribe/"
            return {
                "to": f"reader{n}@example.com",
                "kind": MailKind.LESSON,
                "subject": step.subject,
                "template": "programs/email/lesson",
                "context": lessons.step_context(
                    step, manage=f"{settings.SITE_URL}/programs/{enrollment.token}/", unsubscribe=unsubscribe
                ),
                "from_email": settings.PROGRAMS_FROM_EMAIL,
                "headers": lessons.list_headers(
                    program_slug=program.slug, program_name=program.name, unsubscribe=unsubscribe
                ),
            }

        send_templated_email(**lesson_kwargs(0))  # warm the template cache

        raw = _build_message_bytes(lesson_kwargs(0))
        fresh = max(count // 4, 1)

        def django_one_connection() -> float:
            started = time.perf_counter()
            with get_connection() as connection:
                for n in range(count):
                    send_templated_email(**lesson_kwargs(n), connection=connection)
            return count / (time.perf_counter() - started)

        def django_connection_per_lesson() -> float:
            started = time.perf_counter()
            for n in range(fresh):
                send_templated_email(**lesson_kwargs(n))
            return fresh / (time.perf_counter() - started)

        def plain_smtplib() -> float:
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as client:
                for n in range(count):
                    client.sendmail("coach@hodhod.example", [f"reader{n}@example.com"], raw)
            return count / (time.perf_counter() - started)

        runs = {
            "django, one connection": django_one_connection,
            "django, connection per lesson": django_connection_per_lesson,
            "plain smtplib, one session": plain_smtplib,
        }
        rates: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):  # interleaved, so a busy moment hits every variant alike
            for name, run in runs.items():
                rates[name].append(run())
        results = {name: statistics.median(values) for name, values in rates.items()}

    finally:
        stop_event.set()
        port_queue.get(timeout=20)
        sink.join(20)
    assert received.value == 1 + args.rounds * (2 * count + fresh), f"sink received {received.value}"

    print(
        f"lesson size: {len(raw):,} bytes; {count:,} lessons per run (per-connection run: {fresh:,}), median of {args.rounds} rounds"
    )
    for name, rate in results.items():
        print(f"  {name:<32} {rate:8.0f} lessons/s")
    ratio = results["django, one connection"] / results["plain smtplib, one session"]
    print(f"ratio django (one connection) / plain smtplib: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
