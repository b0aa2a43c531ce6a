"""The layers hold: kernel → catalog, dealers → orders, payments → erpsync (HANDBOOK rule 15).

``make test`` also runs ``lint-imports`` on the contract in pyproject.toml; these tests read the same contract, show
that a wrong-way import is caught, and refuse function-local imports of the project's own modules, which would hide
a cycle from both checks' readers.
"""

import ast
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES = CONTRACT["root_packages"]
LAYERS = next(c for c in CONTRACT["contracts"] if c["id"] == "layers")["layers"]

# Function-local imports of project modules that are allowed, each for a reason that is not a cycle.
LAZY_IMPORTS = {
    # weasyprint takes about a second to load: only the views and tasks that render a PDF pay for it.
    ("orders/views.py", "orders.documents"),
    ("orders/tasks.py", "orders.documents"),
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    for module in list(graph.modules):
        # Tests use factories of any app; the root URL configuration composes the apps.
        if ".tests" in module or module == "b2bportal.urls":
            graph.remove_module(module)
    return graph


def _illegal(graph: grimp.ImportGraph) -> list[str]:
    found = graph.find_illegal_dependencies_for_layers(layers=LAYERS)
    return sorted(
        f"{package.importer} → {package.imported}: {', '.join(sorted(route.heads))} → {', '.join(sorted(route.tails))}"
        for package in found
        for route in package.routes
    )


def test_no_layer_imports_a_higher_one(graph):
    assert _illegal(graph) == []


def test_a_wrong_way_import_is_caught(graph):
    graph.add_import(importer="dealers.credit", imported="orders.models", line_number=1, line_contents="")
    try:
        assert any("dealers.credit" in text for text in _illegal(graph))
    finally:
        graph.remove_import(importer="dealers.credit", imported="orders.models")


def test_no_cycle_between_the_apps(graph):
    for index, higher in enumerate(LAYERS):
        for lower in LAYERS[index + 1 :]:
            assert not graph.chain_exists(importer=lower, imported=higher, as_packages=True), (lower, higher)


def _function_local_imports(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name == "ready" and path.name == "apps.py":
            continue  # Django's place to connect an app once the registry is loaded
        for inner in ast.walk(node):
            names = []
            if isinstance(inner, ast.ImportFrom) and inner.module and not inner.level:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            found += [(str(path.relative_to(ROOT)), name) for name in names if name.split(".")[0] in PACKAGES]
    return found


def test_no_function_local_import_of_the_projects_own_modules():
    offending = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            offending += [item for item in _function_local_imports(path) if item not in LAZY_IMPORTS]
    assert offending == []
