"""Configuration from the environment: start-up refusals and the deploy check."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
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
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    cleared = {*PRODUCTION_ENV, "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"}
    base = {k: v for k, v in os.environ.items() if k not in cleared}
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


def setting_values(*names: str, env: dict[str, str]) -> tuple[list[str], subprocess.CompletedProcess]:
    """The settings as a process started with `env` sees them, one printed line per name."""
    code = "\n".join(["from django.conf import settings", *(f"print(repr(settings.{name}))" for name in names)])
    result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-len(names) :], result


@pytest.mark.parametrize(
    "backend",
    [
        None,
        "",
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    ],
)
def test_issue10_item9_debug_off_refuses_to_start_without_a_real_email_backend(backend):
    env = {**PRODUCTION_ENV}
    if backend is None:
        del env["EMAIL_BACKEND"]
    else:
        env["EMAIL_BACKEND"] = backend
    result = manage("check", env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "EMAIL_BACKEND" in lines[0]


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.smtp.EmailBackend",
        "anymail.backends.postmark.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",  # the test-suite's own
    ],
)
def test_issue10_item9_debug_off_starts_with_a_real_email_backend(backend):
    (value,), _ = setting_values("EMAIL_BACKEND", env={**PRODUCTION_ENV, "EMAIL_BACKEND": backend})
    assert value == repr(backend)


def test_issue10_item9_make_run_still_prints_mail_to_the_console():
    env = {"DEBUG": "1", "DATABASE_URL": os.environ["DATABASE_URL"]}  # what `make run` sets, less the servers
    (value,), _ = setting_values("EMAIL_BACKEND", env=env)
    assert value == repr("django.core.mail.backends.console.EmailBackend")


def test_issue10_item9_the_docker_build_step_names_a_real_email_backend():
    dockerfile = (ROOT / "Dockerfile").read_text()
    (build,) = [step for step in re.split(r"^RUN ", dockerfile, flags=re.M) if "manage.py collectstatic" in step]
    assert "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend" in build


def test_issue10_item13_plain_http_cookies_are_honoured_with_a_warning():
    env = {**PRODUCTION_ENV, "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0"}
    values, result = setting_values("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", env=env)
    assert values == ["False", "False"]
    warnings = [line for line in result.stderr.splitlines() if "COOKIE_SECURE" in line]
    assert len(warnings) == 1, result.stderr
    assert "SESSION_COOKIE_SECURE" in warnings[0] and "CSRF_COOKIE_SECURE" in warnings[0]


def test_issue10_item13_one_plain_http_cookie_warns_about_that_one():
    env = {**PRODUCTION_ENV, "CSRF_COOKIE_SECURE": "0"}
    values, result = setting_values("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", env=env)
    assert values == ["True", "False"]
    (warning,) = [line for line in result.stderr.splitlines() if "COOKIE_SECURE" in line]
    assert "CSRF_COOKIE_SECURE" in warning and "SESSION_COOKIE_SECURE" not in warning


def test_issue10_item13_check_deploy_still_reports_plain_http_cookies():
    env = {**PRODUCTION_ENV, "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0"}
    result = manage("check", "--deploy", env=env)
    assert "security.W012" in result.stdout + result.stderr
    assert "security.W016" in result.stdout + result.stderr


def test_issue10_item13_secure_cookies_by_default_with_debug_off():
    values, result = setting_values("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", env=PRODUCTION_ENV)
    assert values == ["True", "True"]
    assert "COOKIE_SECURE" not in result.stderr


def test_issue16_stripe_events_are_applied_by_the_worker_unless_the_environment_says_request():
    assert setting_values("STRIPE_WEBHOOK_APPLY", env=PRODUCTION_ENV)[0] == ["'worker'"]
    assert setting_values("STRIPE_WEBHOOK_APPLY", env={**PRODUCTION_ENV, "STRIPE_WEBHOOK_APPLY": "request"})[0] == [
        "'request'"
    ]
    result = manage("check", env={**PRODUCTION_ENV, "STRIPE_WEBHOOK_APPLY": "later"})
    assert result.returncode != 0
    assert "STRIPE_WEBHOOK_APPLY must be one of worker, request, not 'later'" in result.stderr
    assert "Traceback" not in result.stderr
