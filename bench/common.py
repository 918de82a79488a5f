"""What every benchmark needs: a throw-away PostgreSQL database and Django set up in-process."""

import os
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
