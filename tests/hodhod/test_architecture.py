"""Dependencies point one way: the package table of the README, enforced.

For each package, the packages of ours it may import; no import cycle between the modules of one
package; no import of our code inside a function (the way a cycle is dodged) outside `AppConfig.ready`.
The checker itself is tested on a small made-up tree, so a broken checker cannot pass silently.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {
    "hodhod", "core", "payments", "shop", "billing", "accounts", "programs", "content",
    "stripe_emulator", "tests", "bench",
}  # fmt: skip
ALLOWED = {
    "hodhod": OURS - {"tests", "bench"},
    "core": set(),
    "payments": {"core"},
    "shop": {"core", "payments"},
    "billing": {"core", "payments"},
    "accounts": {"core", "payments", "shop", "billing", "programs"},
    "programs": {"core", "shop", "billing"},
    "content": {"core", "shop"},
    "stripe_emulator": set(),
    "bench": OURS - {"tests", "bench"},
}


def _python_files(package_dir: Path) -> list[Path]:
    return [path for path in package_dir.rglob("*.py") if "migrations" not in path.parts]


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST, module: str) -> list[tuple[str, ast.AST]]:
    """(absolute module name, node) for every import in the file, `from x import y` as `x.y` too."""
    found = []
    package = module.rsplit(".", 1)[0] if "." in module else module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, node))
            found.extend((f"{base}.{alias.name}", node) for alias in node.names)
    return found


def _function_level_nodes(tree: ast.AST) -> set[int]:
    inner = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != "ready":
            inner.update(id(child) for child in ast.walk(node) if isinstance(child, (ast.Import, ast.ImportFrom)))
    return inner


def check_tree(root: Path, allowed: dict[str, set[str]], ours: set[str]) -> list[str]:
    """Every breach of the table in the tree at `root`, as sentences (empty: none)."""
    problems = []
    for package in sorted(allowed):
        if not (root / package).is_dir():
            continue
        modules = {_module_name(path, root): path for path in _python_files(root / package)}
        graph: dict[str, set[str]] = {name: set() for name in modules}
        for name, path in modules.items():
            tree = ast.parse(path.read_text(), filename=str(path))
            nested = _function_level_nodes(tree)
            reported: set[int] = set()
            for target, node in _imports(tree, name):
                top = target.split(".")[0]
                if top in ours and id(node) not in reported:
                    reported.add(id(node))
                    if top != package and top not in allowed[package]:
                        problems.append(f"{name} imports {target}: {package} may not import {top}")
                    if id(node) in nested and package != "bench":
                        problems.append(f"{name} imports {target} inside a function (line {node.lineno})")
                if target in modules and target != name and modules[name].name != "__init__.py":
                    graph[name].add(target)
        problems.extend(f"import cycle in {package}: {' → '.join(cycle)}" for cycle in _cycles(graph))
    return problems


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules that import each other (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_every_package_imports_only_what_its_row_allows_and_has_no_cycles():
    assert check_tree(ROOT, ALLOWED, OURS) == []


# The emulator's parameter parsing mirrors Stripe's nested form parameters in one place, on purpose.
LONG_FUNCTIONS_ALLOWED = {"stripe_emulator/session_params.py:line_items_param"}
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60


def test_modules_stay_small_and_functions_short():
    too_long = []
    for package in sorted(ALLOWED.keys() - {"bench"}):
        for path in _python_files(ROOT / package) if (ROOT / package).is_dir() else []:
            text = path.read_text()
            where = path.relative_to(ROOT)
            if len(text.splitlines()) > MAX_MODULE_LINES:
                too_long.append(f"{where}: {len(text.splitlines())} lines")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = node.end_lineno - node.lineno + 1
                    if length > MAX_FUNCTION_LINES and f"{where}:{node.name}" not in LONG_FUNCTIONS_ALLOWED:
                        too_long.append(f"{where}:{node.name}: {length} lines")
    assert too_long == []


def test_every_package_of_ours_has_a_row():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - {"tests"} <= set(ALLOWED), "a new package needs its row in ALLOWED (and the README's table)"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_catches_a_forbidden_import(tmp_path):
    _write(
        tmp_path, {"core/__init__.py": "", "core/mail.py": "from shop.models import Order\n", "shop/__init__.py": ""}
    )
    assert check_tree(tmp_path, ALLOWED, OURS) == ["core.mail imports shop.models: core may not import shop"]


def test_the_checker_catches_a_cycle_between_modules_of_one_package(tmp_path):
    _write(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/orders.py": "from shop.emails import send\n",
            "shop/emails.py": "from shop import tasks\n",
            "shop/tasks.py": "import shop.orders\n",
        },
    )
    assert check_tree(tmp_path, ALLOWED, OURS) == ["import cycle in shop: shop.emails → shop.orders → shop.tasks"]


def test_the_checker_catches_an_import_hidden_in_a_function(tmp_path):
    _write(tmp_path, {"shop/__init__.py": "", "shop/a.py": "def f():\n    from shop import b\n", "shop/b.py": ""})
    assert check_tree(tmp_path, ALLOWED, OURS) == ["shop.a imports shop inside a function (line 2)"]


@pytest.mark.parametrize("app", sorted(package for package in ALLOWED if (ROOT / package / "templates").is_dir()))
def test_templates_load_only_the_tags_of_packages_they_may_import(app):
    for template in (ROOT / app / "templates").rglob("*.html"):
        text = template.read_text()
        for other in OURS - ALLOWED[app] - {app}:
            assert f"{other}_tags" not in text, f"{template} loads {other}'s template tags"
