"""The package's import graph: no cycles, and lower layers never import higher ones.

Every `import` statement of every module counts, including those inside
functions (deferred imports still couple two modules), and so do the names a
package loads on first use (`lazy_attributes`).
"""

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "keras_action"
ROOT = PACKAGE.name

#: The layering contract: a module may import its own subpackage and any lower
#: level, never a higher one nor another subpackage of its own level (training
#: must not depend on export, nor data on checkpoints). The package itself only
#: gathers names for users.
LEVELS = {
    "utils": 0,
    "layers": 1,
    "runtime": 1,
    "models": 2,
    "data": 3,
    "checkpoints": 3,
    "training": 4,
    "export": 4,
    "cli": 5,
}


def module_files():
    files = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


MODULES = module_files()


def owner(name):
    """The module that defines `name` (a module, or a name in a module)."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def is_package(module):
    return MODULES[module].name == "__init__.py"


def imported_modules(module):
    """The package's modules that `module` imports, by any kind of import."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    base = module if is_package(module) else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = importlib.util.resolve_name(
                "." * node.level + (node.module or ""), base
            )
            names = [f"{source}.{alias.name}" for alias in node.names]
        elif _is_lazy_attributes(node):
            names = [_lazy_source(module, value.value) for value in node.args[1].values]
        else:
            continue
        found.update(owner(name) for name in names if name.split(".")[0] == ROOT)
    # A module needs its parent packages, which Python imports first anyway.
    return found - {module} - _parents(module)


def _is_lazy_attributes(node):
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "lazy_attributes"
        and isinstance(node.args[1], ast.Dict)
    )


def _lazy_source(package, source):
    return source if source.startswith(f"{ROOT}.") else f"{package}.{source}"


def _parents(module):
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


GRAPH = {module: imported_modules(module) for module in MODULES}


def find_cycle(graph):
    """One import cycle as a list of modules (first repeated last), or `None`."""
    state = {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target, [*path, target])
                if cycle:
                    return cycle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module, [module])
            if cycle:
                return cycle
    return None


def subpackage(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def layering_violations(graph):
    """`(importer, imported)` pairs that break `LEVELS`."""
    violations = []
    for module, targets in graph.items():
        own = subpackage(module)
        if own is None:
            continue  # the package's front door may name everything
        for target in targets:
            other = subpackage(target)
            upward = other is None or LEVELS[other] > LEVELS[own]
            sideways = other != own and LEVELS.get(other) == LEVELS[own]
            if upward or sideways:
                violations.append((module, target))
    return sorted(violations)


def test_every_subpackage_has_a_level():
    assert {subpackage(m) for m in MODULES} - {None} == set(LEVELS)


def test_the_checks_find_what_they_look_for():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    graph = {
        f"{ROOT}.data.x": {f"{ROOT}.training.y", f"{ROOT}.checkpoints.z"},
        f"{ROOT}.training.y": {f"{ROOT}.data.x", f"{ROOT}.utils.w", ROOT},
    }
    assert layering_violations(graph) == [
        (f"{ROOT}.data.x", f"{ROOT}.checkpoints.z"),
        (f"{ROOT}.data.x", f"{ROOT}.training.y"),
        (f"{ROOT}.training.y", ROOT),
    ]


def test_the_graph_sees_deferred_and_lazy_imports():
    assert f"{ROOT}.runtime" in GRAPH[f"{ROOT}.training.evaluation"]
    assert f"{ROOT}.runtime" in GRAPH[f"{ROOT}.export"]
    assert f"{ROOT}.data.pipeline" in GRAPH[f"{ROOT}.data"]


def test_no_import_cycles():
    assert find_cycle(GRAPH) is None


def test_lower_layers_never_import_higher_ones():
    assert layering_violations(GRAPH) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports(module):
    importlib.import_module(module)


def test_the_trainer_imports_first_in_a_fresh_interpreter():
    # Import order matters for cycles: in this process other modules came first.
    result = subprocess.run(
        [sys.executable, "-c", "import keras_action.training.trainer"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
