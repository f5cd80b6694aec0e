"""course_lib's layout, drawn from its source: no import circle and one module per public name.

The import graph counts every import, at the top of a module or inside a function, because a
function-level import that goes back and forth is a circle all the same, only a later one.
"""
import ast
from collections import defaultdict
from pathlib import Path

from course_files import REPO

PACKAGE = REPO / "course_lib"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(name: str, path: Path) -> set[str]:
    """The course_lib modules that ``name`` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..gan import y
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # "from course_lib import gan" imports the module course_lib.gan; "from course_lib.gan import GAN" the package
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names}
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imported_modules(name, path) for name, path in MODULES.items()}


def find_cycle(graph: dict) -> list[str] | None:
    """One import circle (a list of modules, first = last), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def public_definitions(path: Path) -> set[str]:
    """Public names a module defines at its top level (def, class, assignment), not the ones it imports."""
    names = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return {n for n in names if not n.startswith("_")}


def test_the_package_is_found():
    assert {"course_lib", "course_lib.gan", "course_lib.text", "course_lib.text2image"} <= set(MODULES)


def test_no_import_circle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_circles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_function_level_and_relative_imports_count(tmp_path):
    module = tmp_path / "some_module.py"
    module.write_text("import numpy\n\n\ndef f():\n    from course_lib.gan import GAN\n    from . import data\n")
    assert imported_modules("course_lib.cnn", module) == {"course_lib.gan", "course_lib.data"}


def test_no_public_name_is_defined_in_two_modules():
    where = defaultdict(list)
    for name, path in MODULES.items():
        for defined in public_definitions(path):
            where[defined].append(name)
    twice = {n: mods for n, mods in where.items() if len(mods) > 1}
    assert not twice, f"defined in more than one module: {twice}"


def test_week5_does_not_import_the_final_project():
    reach, todo = set(), [m for m in GRAPH if m == "course_lib.text" or m.startswith("course_lib.text.")]
    while todo:
        module = todo.pop()
        if module not in reach:
            reach.add(module)
            todo += GRAPH[module]
    assert not {m for m in reach if m.startswith("course_lib.text2image")}, sorted(reach)


def test_subpackages_list_their_public_names():
    import importlib

    for name in ("course_lib.gan", "course_lib.text", "course_lib.text2image"):
        package = importlib.import_module(name)
        missing = [n for n in package.__all__ if not hasattr(package, n)]
        assert not missing, f"{name}.__all__ names what it does not import: {missing}"
        for sub, path in MODULES.items():
            if sub.startswith(name + ".") and not sub.rpartition(".")[2].startswith("_"):
                unlisted = public_definitions(path) - set(package.__all__) - {"__all__"}
                assert not unlisted, f"{sub} defines {sorted(unlisted)}, which {name}.__all__ does not list"
