"""Configuration from the environment: start-up refusals and the deploy check."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x9-Qp2vL7mZ4rT8wK3nB6yH1cF5dJ0sA-gE7uR2iO4pL9kM3nV6bX8zC1qW5eT0y",
    "ALLOWED_HOSTS": "shop.hodhod.example",
    "SITE_URL": "https://shop.hodhod.example",
    "STRIPE_SECRET_KEY": "sk_live_placeholder",
    "STRIPE_WEBHOOK_SECRET": "whsec_placeholder",
    "DATABASE_URL": os.environ["DATABASE_URL"],
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {*PRODUCTION_ENV, "SECURE_SSL_REDIRECT"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_tests_run_on_postgresql_when_database_url_says_so():
    assert os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://"))
    assert connection.vendor == "postgresql"
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_debug_off_without_secret_key_fails_with_one_line_naming_it():
    env = {**PRODUCTION_ENV}
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0]


def test_debug_off_without_stripe_secret_fails_naming_it():
    env = {**PRODUCTION_ENV}
    del env["STRIPE_WEBHOOK_SECRET"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_deploy_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_every_design_variable_is_in_env_example_with_a_comment():
    example = (ROOT / ".env.example").read_text().splitlines()
    contract = [
        "DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SITE_URL",
        "DEFAULT_FROM_EMAIL", "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE", "TIME_ZONE",
    ]  # fmt: skip
    settings_source = (ROOT / "hodhod" / "settings.py").read_text()
    for name in contract:
        index = next((i for i, line in enumerate(example) if line.startswith(f"{name}=")), None)
        assert index is not None, f"{name} missing from .env.example"
        assert example[index - 1].startswith("#") or example[index - 2].startswith("#"), f"{name} has no comment"
        assert f'"{name}"' in settings_source, f"settings do not read {name}"
