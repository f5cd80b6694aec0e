"""Read a student's cell before it runs and say whether it changes the grading environment.

The grader runs student code and the tests in one kernel, so a cell could rebind what the tests rely on:
``np.isclose = lambda *a, **k: True``, ``rng = FixedRNG()``, ``get_ipython().set_custom_exc(...)``.
:func:`find_tampering` reads a cell's source (never runs it) and names each such line. The sanitiser
(:mod:`course_lib.grading.sanitize`) does not run a cell with findings; the runtime checks of
:class:`course_lib.grading.Checker` are the second line of defence for what a static reading cannot see.

What counts, with the reason a student never needs it in this course:

* assigning or deleting an attribute or item of a module, or of a name that a locked cell defined
  (``np.isclose = ...``, ``checker.verify = ...``, ``real_batch[0] = ...``);
* rebinding, at the top level of a cell, a name that an earlier locked cell defined (``rng = ...``), except
  re-importing the same module under the same name (``import numpy as np``);
* ``setattr``/``delattr`` on anything but ``self``, ``exec``/``eval``/``compile``/``__import__``,
  ``globals()``, ``get_ipython``, and the introspection dunders (``__code__``, ``__globals__``, ...);
* importing ``builtins``, ``sys``'s hooks, ``gc``, ``ctypes``, ``inspect``, ``importlib`` or the grader itself;
* IPython magics other than a few harmless ones (``%matplotlib``, ``%time``, ...), since ``%run`` or
  ``%load_ext`` run code nobody has read.
"""
from __future__ import annotations

import ast
import dataclasses
import re

# Modules whose import only serves to reach into the interpreter or the grader.
FORBIDDEN_IMPORTS = ("builtins", "gc", "ctypes", "inspect", "importlib", "course_lib.grading", "ipykernel",
                     "IPython.get_ipython", "IPython.core")
FORBIDDEN_CALLS = {"exec", "eval", "compile", "__import__", "globals", "get_ipython", "breakpoint"}
FORBIDDEN_ATTRIBUTES = {"__code__", "__globals__", "__closure__", "__builtins__", "__subclasses__", "__dict__",
                        "__import__", "__getattribute__", "__setattr__", "__delattr__", "f_globals", "f_locals",
                        "f_back", "gi_frame", "tb_frame", "get_ipython"}
# The interpreter's hooks: replacing them changes how every later cell runs or reports errors.
FORBIDDEN_DOTTED = {"sys.modules", "sys.excepthook", "sys.displayhook", "sys.settrace", "sys.setprofile",
                    "sys.meta_path", "sys.path_hooks", "threading.settrace", "threading.setprofile"}
SAFE_MAGICS = {"matplotlib", "time", "timeit", "capture", "pip", "who", "whos", "precision", "config"}
# tf.keras is Keras 3 itself: importing either binds the same module.
_ALIASES = (("tensorflow.keras", "keras"),)


@dataclasses.dataclass(frozen=True)
class Finding:
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def _canonical(module: str) -> str:
    for old, new in _ALIASES:
        if module == old or module.startswith(old + "."):
            return new + module[len(old):]
    return module


def top_level_bindings(source: str) -> dict[str, str | None]:
    """Names a (locked) cell binds at its top level: ``{name: imported module or None}``."""
    tree = _parse(source)
    if tree is None:
        return {}
    found: dict[str, str | None] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.split(".")[0]] = _canonical(alias.name if alias.asname
                                                                              else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = _canonical(f"{node.module}.{alias.name}")
        else:
            for name in _bound_names(node):
                found[name] = None
    return found


def free_names(source: str) -> set[str]:
    """Names a (locked) cell reads that it has not bound itself by then: what it needs from earlier cells."""
    tree = _parse(_python_source(source)[0])
    if tree is None:
        return set()
    first_store: dict[str, int] = {}
    for statement in tree.body:
        for name in _bound_names(statement):
            first_store.setdefault(name, statement.lineno)
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                first_store.setdefault((alias.asname or alias.name).split(".")[0], statement.lineno)
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            and node.lineno <= first_store.get(node.id, 10**9)}


def _bound_names(node: ast.AST) -> list[str]:
    """Top-level names a statement binds (assignment targets, defs, loop and with targets)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    names = []
    for target in targets:
        names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    # Nested blocks at top level (if/for/while/try bodies) bind top-level names too.
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            names += _bound_names(child)
    return names


def _python_source(source: str) -> tuple[str, list[Finding]]:
    """IPython source -> plain Python (magic lines become ``pass``), with findings for magics that run
    code nobody has read."""
    findings, lines = [], source.splitlines()
    for number, line in enumerate(lines, 1):
        match = re.match(r"(\s*)(%%?|!)\s*(\w*)", line)
        if not match:
            continue
        indent, sigil, name = match.groups()
        if sigil != "!" and name not in SAFE_MAGICS:
            findings.append(Finding(number, f"the IPython magic {sigil}{name} (it can run code the grader "
                                            "cannot read)"))
        lines[number - 1] = indent + "pass"
    return "\n".join(lines), findings


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


class _Reader(ast.NodeVisitor):
    def __init__(self, protected: dict[str, str | None]):
        self.protected = protected
        self.modules: set[str] = {n for n, module in protected.items() if module}  # names bound to modules
        self.scopes: list[set[str]] = []  # local names of the enclosing functions
        self.local_modules: list[set[str]] = []  # ... of which bound to modules
        self.globals_declared: list[set[str]] = []
        self.findings: list[Finding] = []

    def flag(self, node: ast.AST, what: str) -> None:
        self.findings.append(Finding(getattr(node, "lineno", 0), what))

    # -- scopes --------------------------------------------------------------------------------------
    def _is_local(self, name: str) -> bool:
        return bool(self.scopes) and name in self.scopes[-1] and not (
            self.globals_declared and name in self.globals_declared[-1])

    def _watched(self, name: str) -> bool:
        """A name whose attributes the tests rely on: a module, or something a locked cell defined."""
        if self._is_local(name):
            return name in self.local_modules[-1]
        return name in self.protected or name in self.modules

    def _module_name(self, name: str) -> None:
        if self.scopes:
            self.scopes[-1].add(name)
            self.local_modules[-1].add(name)
        else:
            self.modules.add(name)

    def _function(self, node) -> None:
        if not self.scopes:
            self._rebinds(node, node.name)
        args = node.args
        params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        local = set(params)
        declared: set[str] = set()
        for child in ast.walk(node):
            if isinstance(child, ast.Global):
                declared |= set(child.names)
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                local.add(child.id)
        for default in args.defaults + args.kw_defaults:
            if default is not None:
                self.visit(default)
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.scopes.append(local - declared)
        self.local_modules.append(set())
        self.globals_declared.append(declared)
        for statement in node.body:
            self.visit(statement)
        self.scopes.pop()
        self.local_modules.pop()
        self.globals_declared.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        args = node.args
        self.scopes.append({a.arg for a in args.posonlyargs + args.args + args.kwonlyargs})
        self.local_modules.append(set())
        self.globals_declared.append(set())
        self.visit(node.body)
        self.scopes.pop()
        self.local_modules.pop()
        self.globals_declared.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not self.scopes:
            self._rebinds(node, node.name)
        for child in node.bases + node.keywords + node.decorator_list:
            self.visit(child)
        self.scopes.append(set())
        self.local_modules.append(set())
        self.globals_declared.append(set())
        for statement in node.body:
            self.visit(statement)
        self.scopes.pop()
        self.local_modules.pop()
        self.globals_declared.pop()

    # -- bindings ------------------------------------------------------------------------------------
    def _rebinds(self, node: ast.AST, name: str, module: str | None = None) -> None:
        at_top = not self.scopes or (self.globals_declared and name in self.globals_declared[-1])
        if not at_top or name not in self.protected:
            return
        if module is not None and self.protected[name] == module:
            return  # `import numpy as np` again binds the same module
        self.flag(node, f"rebinds `{name}`, which a locked cell of the assignment defined and the tests use")

    def _store(self, target: ast.AST, node: ast.AST, verb: str = "assigns to") -> None:
        if isinstance(target, ast.Name):
            self._rebinds(node, target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store(element, node, verb)
        elif isinstance(target, ast.Starred):
            self._store(target.value, node, verb)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            root = _root(target)
            if "rcParams" in ast.unparse(target):
                pass  # matplotlib's settings: harmless to the tests, and students set figure sizes
            elif isinstance(root, ast.Name) and self._watched(root.id):
                self.flag(node, f"{verb} `{ast.unparse(target)}`, part of a library or of the test setup")
            elif not isinstance(root, ast.Name):
                self.flag(node, f"{verb} `{ast.unparse(target)}` through an expression")
            self.visit(target)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._store(target, node)
        # `f = np` or `f = np.random` makes `f` a second name for a module
        value_root = _root(node.value)
        if (isinstance(node.value, (ast.Name, ast.Attribute)) and isinstance(value_root, ast.Name)
                and value_root.id in self.modules):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self._module_name(target.id)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        self._store(node.target, node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self._store(node.target, node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._store(target, node, verb="deletes")

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self._store(node.target, node)
        for statement in node.body + node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._store(item.optional_vars, node)
        for statement in node.body:
            self.visit(statement)

    visit_AsyncWith = visit_With

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._store(node.target, node)

    def _imported(self, node: ast.AST, module: str, bound: str, bound_module: str) -> None:
        module = _canonical(module)
        for forbidden in FORBIDDEN_IMPORTS:
            if module == forbidden or module.startswith(forbidden + "."):
                self.flag(node, f"imports `{module}`")
                return
        if module == "course_lib" and bound_module == "course_lib.grading":
            self.flag(node, "imports the grader")
            return
        self._rebinds(node, bound, bound_module)
        self._module_name(bound)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            bound_module = alias.name if alias.asname else alias.name.split(".")[0]
            self._imported(node, alias.name, bound, _canonical(bound_module))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, f"`from {module} import *` (it can rebind any name the tests use)")
                continue
            full = f"{module}.{alias.name}"
            if _canonical(full) in FORBIDDEN_IMPORTS or any(
                    _canonical(full).startswith(f + ".") for f in FORBIDDEN_IMPORTS):
                self.flag(node, f"imports `{_canonical(full)}`")
                continue
            self._imported(node, module, alias.asname or alias.name, _canonical(full))

    # -- reaching into the interpreter ---------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if name in ("setattr", "delattr") and not (node.args and isinstance(node.args[0], ast.Name)
                                                    and node.args[0].id == "self"):
            self.flag(node, f"calls `{name}()` on something other than `self`")
        elif name == "vars" and (not node.args or (isinstance(node.args[0], ast.Name)
                                                  and self._watched(node.args[0].id))):
            self.flag(node, "calls `vars()` on a module or on the notebook's namespace")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in FORBIDDEN_ATTRIBUTES:
            self.flag(node, f"uses `.{node.attr}`, which reaches into the interpreter")
        elif _dotted(node) in FORBIDDEN_DOTTED:
            self.flag(node, f"uses `{_dotted(node)}`, one of the interpreter's hooks")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if (node.id in FORBIDDEN_CALLS or node.id == "__builtins__") and not self._is_local(node.id):
            self.flag(node, f"uses `{node.id}`")

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name in self.protected:
                self.flag(node, f"declares `global {name}`, a name the tests use")


def find_tampering(source: str, protected: dict[str, str | None] | None = None) -> list[Finding]:
    """Findings for a student's cell, in line order; an empty list when the cell is fine.

    ``protected`` maps the names that earlier locked cells defined to the module they import (or None);
    see :func:`top_level_bindings`. A cell that does not parse has no findings: the kernel reports it.
    """
    python, findings = _python_source(source)
    tree = _parse(python)
    if tree is None:
        return findings
    reader = _Reader(dict(protected or {}))
    reader.visit(tree)
    unique = {(f.line, f.what): f for f in findings + reader.findings}
    return sorted(unique.values(), key=lambda f: f.line)
