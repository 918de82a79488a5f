"""The browser tests' server: as close to production as a test can be.

pytest-django's `live_server` serves /static/ from the source folders through Django's
StaticFilesHandler, which knows nothing of fingerprinted names. Here `collectstatic` runs
once into a temporary STATIC_ROOT and the live server hands every request to the project's
own WSGI stack, so the pages link fingerprinted files and WhiteNoise serves them with its
long-lived cache headers, exactly as gunicorn would.
"""

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.test.testcases import LiveServerThread
from django.test.utils import override_settings
from pytest_django.live_server_helper import LiveServer


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Iterator:
    static_root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=static_root):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield static_root


class ProjectStackLiveServer(LiveServer):
    """pytest-django's live server, minus the static-files shortcut in front of the project."""

    def __init__(self, addr: str) -> None:
        super().__init__(addr, start=False)
        self.thread = LiveServerThread(addr, static_handler=lambda app: app, connections_override={})
        self.thread.daemon = True
        self.start()


@pytest.fixture(scope="session")
def live_server(collected_static) -> Iterator[LiveServer]:
    # Same name as pytest-django's fixture, so its helper still gives each test
    # transactional_db and the stripe fixtures send webhooks here.
    server = ProjectStackLiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def site_url(live_server, settings) -> str:
    """Absolute links (emails, Stripe's return URLs) point at the live server."""
    settings.SITE_URL = live_server.url
    return live_server.url
