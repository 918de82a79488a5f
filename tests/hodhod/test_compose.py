"""docker-compose.yml cannot run here (no Docker engine): keep it honest statically."""

import json
import re
import runpy
import shlex
from pathlib import Path
from types import ModuleType

import yaml
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parents[2]


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_variables() -> set[str]:
    """The variables the settings read, and those the web server's configuration reads."""
    source = (ROOT / "hodhod" / "settings.py").read_text() + (ROOT / "hodhod" / "webserver.py").read_text()
    return set(re.findall(r'env(?:iron(?:\.get)?|_bool|_list|_secret|_int|_number|_choice)?[\[(]"([A-Z_]+)"', source))


def compose_web_server_command() -> list[str]:
    """The server part of compose's web command (after the migration), without its `exec`."""
    command = load_compose()["services"]["web"]["command"]
    words = shlex.split(command[-1]) if command[0] == "sh" else command
    steps, step = [], []
    for word in [*words, "&&"]:
        if word == "&&":
            steps.append(step)
            step = []
        else:
            step.append(word)
    (server,) = [step for step in steps if "gunicorn" in step]
    return server[1:] if server[0] == "exec" else server


def dockerfile_command() -> list[str]:
    (cmd,) = re.findall(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M)
    return json.loads(cmd)


def test_compose_has_the_production_services_with_health_checks():
    services = load_compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])
    assert "pgdata" in load_compose()["volumes"]
    for name in ("web", "worker", "beat"):
        assert services[name]["env_file"] == ".env"


def test_every_command_points_at_something_in_the_repo():
    services = load_compose()["services"]
    for name in ("web", "worker", "beat"):
        command = services[name]["command"]
        words = shlex.split(command[-1]) if command[0] == "sh" else command
        text = " ".join(words)
        if "manage.py" in text:
            assert (ROOT / "manage.py").exists()
        for module in re.findall(r"(\w+)\.wsgi:application", text):
            assert (ROOT / module / "wsgi.py").exists()
        if words[0] == "celery":
            app = words[words.index("-A") + 1]
            assert (ROOT / app / "celery.py").exists()


def test_every_variable_compose_passes_is_read_by_the_settings():
    read = settings_variables()
    for name, service in load_compose()["services"].items():
        if name in {"postgres", "redis"}:
            continue
        for variable in service.get("environment", {}):
            assert variable in read, f"{name} passes {variable}, which the settings never read"
    example = [
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    ]
    for variable in example:
        assert variable in read, f".env.example sets {variable}, which the settings never read"


def test_dockerfile_runs_as_non_root_with_collected_static():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "collectstatic" in dockerfile
    assert "gunicorn" in dockerfile


def test_issue10_item4_dockerfile_and_compose_run_the_same_server_configuration():
    """One server configuration (hodhod/webserver.py: workers, threads, timeout, the redacted access
    log) whether the image is started by compose or on its own."""
    command = dockerfile_command()
    assert command == compose_web_server_command()
    assert command[0] == "gunicorn" and "hodhod.wsgi:application" in command
    config = command[command.index("-c") + 1]
    assert config == "python:hodhod.webserver" and (ROOT / "hodhod" / "webserver.py").exists()
    assert not [word for word in command[1:] if word.startswith("-") and word != "-c"], "settings belong in the file"


def test_issue10_item4_server_config_reads_its_sizes_from_the_environment(monkeypatch):
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    defaults = runpy.run_path(str(ROOT / "hodhod" / "webserver.py"))
    assert (defaults["workers"], defaults["threads"], defaults["timeout"]) == (2, 32, 30)  # issue 16: gthread
    assert defaults["bind"] == ["0.0.0.0:8000"]
    assert defaults["accesslog"] == "-"
    config = Config()
    settings = {
        name: value
        for name, value in defaults.items()
        if name.islower() and not name.startswith("_") and not isinstance(value, ModuleType)  # not os, the classes
    }
    assert set(settings) <= set(config.settings), set(settings) - set(config.settings)  # none misspelt, ignored
    for name, value in settings.items():
        config.set(name, value)  # each of the right type
    assert config.logger_class.__name__ == "RedactingLogger"

    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("WEB_THREADS", "4")
    monkeypatch.setenv("WEB_TIMEOUT", "60")
    sized = runpy.run_path(str(ROOT / "hodhod" / "webserver.py"))
    assert (sized["workers"], sized["threads"], sized["timeout"]) == (5, 4, 60)


def test_issue10_item4_web_sizes_are_in_env_example():
    example = (ROOT / ".env.example").read_text()
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT"):
        assert re.search(rf"^{name}=", example, re.M), name
