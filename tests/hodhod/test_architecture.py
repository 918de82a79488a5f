"""Dependencies point one way (DESIGN.md): shop imports no other app; content does not import programs."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "shop": {"programs", "content"},
    "content": {"programs"},
}


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_app_does_not_import_the_apps_that_depend_on_it(app):
    offenders = {
        str(path.relative_to(ROOT)): imported & FORBIDDEN[app]
        for path in (ROOT / app).rglob("*.py")
        if (imported := imported_top_level_modules(path)) & FORBIDDEN[app]
    }
    assert offenders == {}


def test_templates_of_an_app_do_not_load_tags_of_apps_it_must_not_know():
    for app, forbidden in FORBIDDEN.items():
        for template in (ROOT / app / "templates").rglob("*.html"):
            text = template.read_text()
            for other in forbidden:
                assert f"{other}_tags" not in text, f"{template} loads {other}'s template tags"
