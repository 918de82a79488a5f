"""The programs package keeps the shape the style guide asks for: arrows one way, small modules, short functions."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "programs"


def _modules() -> dict[str, ast.Module]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = ast.parse(path.read_text(), filename=str(path))
    return modules


def _imports_of_the_package(tree: ast.Module, known: set[str]) -> set[str]:
    """The modules of programs this one imports at its top level (`from programs import x` names `programs.x`)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names & (known - {"programs"})


def test_no_import_cycle_between_the_modules_of_programs():
    modules = _modules()
    graph = {name: _imports_of_the_package(tree, set(modules)) - {name} for name, tree in modules.items()}
    cycles = []

    def visit(name: str, path: list[str]) -> None:
        for imported in sorted(graph[name]):
            if imported in path:
                cycles.append([*path[path.index(imported) :], imported])
            else:
                visit(imported, [*path, imported])

    for name in graph:
        visit(name, [name])
    assert cycles == []


def test_no_import_inside_a_function():
    """A deferred import hides a cycle; `apps.ready` loads the receivers with `import_module` instead."""
    nested = [
        f"{name}:{inner.lineno}"
        for name, tree in _modules().items()
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for inner in ast.walk(node)
        if isinstance(inner, (ast.Import, ast.ImportFrom))
    ]
    assert nested == []


def test_modules_stay_small_and_functions_short():
    too_long = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        if len(path.read_text().splitlines()) >= 400:
            too_long.append(str(path.relative_to(ROOT)))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60:
                too_long.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert too_long == []
