"""What every benchmark needs: a throw-away PostgreSQL database and Django set up in-process."""

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": "postgres", "dbname": "postgres"}


def database_url(name: str) -> str:
    return f"postgres://postgres:postgres@127.0.0.1:5432/{name}"


@contextmanager
def throwaway_database(name: str) -> Iterator[str]:
    """Create database `name` afresh, yield its URL, drop it afterwards (closing Django's connections)."""
    with psycopg.connect(**PG, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110 - Django may not be set up in this process
            pass
        with psycopg.connect(**PG, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def configure_django(**environment: str) -> None:
    """Production-like settings (DEBUG off, quiet logs) with bench-only secrets, then django.setup()."""
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    os.environ.setdefault("STRIPE_SECRET_KEY", "sk_test_bench")
    os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_bench")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    # With DEBUG off the settings refuse a backend that delivers nothing; benchmarks build mail, not send it.
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.update(environment)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hodhod.settings")
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def page_server_env(db_name: str, port: int) -> dict[str, str]:
    """The production server's environment for a benchmark that reads pages: DEBUG off, nothing sends mail."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(db_name),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/3"),
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",  # nothing here sends mail
        "LOG_LEVEL": "WARNING",
    }
