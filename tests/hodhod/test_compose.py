"""docker-compose.yml cannot run here (no Docker engine): keep it honest statically."""

import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_variables() -> set[str]:
    source = (ROOT / "hodhod" / "settings.py").read_text()
    return set(re.findall(r'env(?:iron(?:\.get)?|_bool|_list|_secret)?[\[(]"([A-Z_]+)"', source))


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
