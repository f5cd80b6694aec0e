"""What a graded test cell relies on: the libraries as shipped, and the student's own work.

An assignment's locked setup cell makes one :class:`Checker` before any student code runs::

    from course_lib.grading import Checker
    checker = Checker()

It records what the tests rely on (NumPy's, Keras's and TensorFlow's functions, the builtins, IPython's
exception handling). Each test cell then

* runs its hidden tests inside ``with checker.own_work():``, where the course's reference implementations
  (every ``course_lib`` module except the utilities that assignments may use) cannot be called: an answer
  that delegates to them fails with :class:`DelegationError`, saying why;
* ends with ``checker.verify()``, which raises :class:`TamperingError` if anything recorded was replaced
  since, and first puts the originals back, so that only the exercise during which it happened is lost.

The sanitiser's static reading (:mod:`course_lib.grading.static_check`) stops the plain ways of tampering
before they run; these checks catch what it cannot see.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import os
import sys
import types

# course_lib modules an answer may call: utilities, not the reference for any exercise.
# (The grader's own modules run inside graded calls: the behavioural tests' tiny layers live there. An
# answer cannot import them: the static check refuses any import of course_lib.grading.)
UTILITIES = ("course_lib.runtime", "course_lib.data", "course_lib.plotting", "course_lib.grading")
# Modules whose functions and classes the tests call; replacing one changes what a test checks.
WATCHED_MODULES = ("builtins", "math", "numpy", "numpy.testing", "numpy.random", "numpy.linalg", "keras",
                   "keras.layers", "keras.losses", "keras.ops", "keras.optimizers", "keras.utils", "keras.metrics",
                   "keras.activations", "tensorflow", "tensorflow.nn", "tensorflow.math", "tensorflow.random",
                   "course_lib", "course_lib.data", "course_lib.runtime")
# Classes whose methods the tests call (a patched method is as bad as a patched function).
WATCHED_CLASSES = ("keras.Model", "keras.Sequential", "keras.layers.Layer", "keras.losses.Loss",
                   "keras.losses.BinaryCrossentropy", "keras.optimizers.Optimizer", "tensorflow.GradientTape")
# IPython's machinery that turns an exception in a cell into a failed cell.
IPYTHON_METHODS = ("run_cell", "run_code", "run_ast_nodes", "showtraceback", "_showtraceback",
                   "showsyntaxerror", "transform_cell", "set_custom_exc")
IPYTHON_LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
# Class attributes Python itself creates on first use.
LAZY_CLASS_ATTRIBUTES = {"__annotations__", "_abc_impl", "__abstractmethods__"}


class TamperingError(AssertionError):
    """The grading environment was changed by student code."""


class DelegationError(AssertionError):
    """A graded answer called the course's reference implementation instead of doing the work."""


def _resolve(dotted: str):
    module_name, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def _callables(namespace: dict) -> dict:
    """The functions and classes of a namespace (skipping submodules and lazy loaders, which may change)."""
    kinds = (types.FunctionType, types.BuiltinFunctionType, type, types.MethodDescriptorType,
             staticmethod, classmethod, property, types.WrapperDescriptorType)
    return {k: v for k, v in namespace.items() if isinstance(v, kinds) or (callable(v) and hasattr(v, "__wrapped__"))}


def _shadowed(module, workdir: str) -> bool:
    """True when ``module`` was loaded from a file beside the notebook (``./numpy.py``, ``./numpy/``)
    although the installed package would be found without the notebook's folder on ``sys.path``."""
    top = module.__name__.split(".")[0]
    loaded = getattr(sys.modules.get(top), "__file__", None)
    if not loaded or not os.path.abspath(loaded).startswith(workdir + os.sep):
        return False
    path = [p for p in sys.path if p not in ("", ".") and os.path.abspath(p) != workdir]
    for finder in sys.meta_path:
        try:
            spec = (finder.find_spec(top, path) if finder is importlib.machinery.PathFinder
                    else finder.find_spec(top, None))
        except Exception:  # noqa: BLE001 - a finder that cannot answer says nothing either way
            continue
        if spec is not None and spec.origin:
            return os.path.abspath(spec.origin) != os.path.abspath(loaded)
    return False


class Checker:
    """Records what the tests rely on; checks it is unchanged and that answers are the student's own.

    ``allow``: further ``course_lib`` modules that answers of this assignment may call (for example
    ``"course_lib.text"`` where captions must be encoded with Week 5's encoder).
    """

    def __init__(self, *, allow: tuple[str, ...] = ()):
        self.allowed = tuple(UTILITIES) + tuple(allow)
        self._workdir = os.path.abspath(os.getcwd())
        self._modules, self._classes = {}, {}
        self.problems_at_start: list[str] = []
        self._record_new_modules()
        self._shell = self._ipython()
        self._ipython_state = self._read_ipython()
        self._own_class_methods = dict(vars(Checker))
        self.problems_at_start += self._not_genuine()

    def _record_new_modules(self) -> None:
        """Record the watched modules already imported. TensorFlow is not imported for a week that does not
        use it (seconds saved per submission); a module imported later is recorded when first seen, and
        anything in it that was defined in the notebook rather than in the package counts as tampering."""
        for name in WATCHED_MODULES:
            if name in self._modules or name.split(".")[0] not in sys.modules:
                continue
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            recorded = _callables(vars(module))
            self._modules[name] = (module, recorded)
            if self._modules.keys() - {name}:  # first seen after the setup cell ran
                self.problems_at_start += [f"`{name}.{k}` was replaced" for k, v in recorded.items()
                                           if getattr(v, "__module__", None) == "__main__"]
        for name in WATCHED_CLASSES:
            if name not in self._classes and name.split(".")[0] in sys.modules:
                cls = self._try_resolve(name)
                if cls is not None:
                    self._classes[name] = (cls, dict(vars(cls)))

    @staticmethod
    def _try_resolve(dotted):
        try:
            return _resolve(dotted)
        except (ImportError, AttributeError):
            return None

    @staticmethod
    def _ipython():
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - the course always has IPython
            return None
        return get_ipython()

    def _read_ipython(self) -> dict:
        shell = self._shell
        if shell is None:
            return {}
        cls = type(shell)
        return {
            "custom_exceptions": tuple(shell.custom_exceptions),
            "methods": {name: getattr(cls, name, None) for name in IPYTHON_METHODS},
            # ipykernel itself sets some per instance (_showtraceback): those are recorded too
            "instance": {name: vars(shell).get(name) for name in IPYTHON_METHODS},
            "lists": {name: list(getattr(shell, name, [])) for name in IPYTHON_LISTS},
        }

    # -- what changed ---------------------------------------------------------------------------------
    def _not_genuine(self) -> list[str]:
        """Modules loaded from the notebook's folder instead of the installed packages (a student's
        ``numpy.py`` beside the notebook)."""
        found = []
        for name, (module, _) in self._modules.items():
            if _shadowed(module, self._workdir):
                found.append(f"`{name}` was imported from a file beside the notebook, not the installed package")
        return found

    def changes(self) -> list[str]:
        """Everything recorded that is no longer as it was, in words."""
        self._record_new_modules()
        found = list(self.problems_at_start)
        for name, (module, recorded) in self._modules.items():
            current = vars(module)
            for attribute, original in recorded.items():
                if current.get(attribute, None) is not original:
                    found.append(f"`{name}.{attribute}` was replaced" if attribute in current
                                 else f"`{name}.{attribute}` was deleted")
        for name, (cls, recorded) in self._classes.items():
            current = vars(cls)
            found += [f"`{name}.{k}` was replaced" for k, v in recorded.items() if current.get(k, None) is not v]
            found += [f"`{name}.{k}` was added" for k in current
                      if k not in recorded and k not in LAZY_CLASS_ATTRIBUTES]
        if any(vars(Checker).get(k) is not v for k, v in self._own_class_methods.items()):
            found.append("the grader's own checks were replaced")
        found += [f"`checker.{k}` was set" for k in vars(self) if k in self._own_class_methods]
        found += self._ipython_changes()
        if sys.gettrace() is not None or sys.getprofile() is not None:
            found.append("a trace or profile function was installed (sys.settrace / sys.setprofile)")
        return found

    def _ipython_changes(self) -> list[str]:
        shell, state = self._shell, self._ipython_state
        if shell is None:
            return []
        found = []
        if tuple(shell.custom_exceptions) != state["custom_exceptions"]:
            found.append("IPython's exception handling was replaced (set_custom_exc)")
        cls = type(shell)
        for name, original in state["methods"].items():
            if vars(shell).get(name) is not state["instance"][name] or getattr(cls, name, None) is not original:
                found.append(f"IPython's `{name}` was replaced")
        for name, original in state["lists"].items():
            if list(getattr(shell, name, [])) != original:
                found.append(f"IPython's `{name}` were changed (they rewrite every later cell)")
        return found

    def restore(self) -> None:
        """Put back everything recorded, so that later exercises are graded as usual."""
        for _, (module, recorded) in self._modules.items():
            for attribute, original in recorded.items():
                if vars(module).get(attribute, None) is not original:
                    setattr(module, attribute, original)
        for _, (cls, recorded) in self._classes.items():
            for k in [k for k in vars(cls) if k not in recorded and k not in LAZY_CLASS_ATTRIBUTES]:
                with contextlib.suppress(AttributeError, TypeError):
                    delattr(cls, k)
            for k, v in recorded.items():
                if vars(cls).get(k, None) is not v:
                    with contextlib.suppress(AttributeError, TypeError):
                        setattr(cls, k, v)
        for k, v in self._own_class_methods.items():
            if vars(Checker).get(k) is not v:
                setattr(Checker, k, v)
        for k in [k for k in vars(self) if k in self._own_class_methods]:
            delattr(self, k)
        shell, state = self._shell, self._ipython_state
        if shell is not None:
            shell.custom_exceptions = state["custom_exceptions"]
            for name, original in state["methods"].items():
                if state["instance"][name] is None:
                    vars(shell).pop(name, None)
                else:
                    vars(shell)[name] = state["instance"][name]
                if getattr(type(shell), name, None) is not original:
                    setattr(type(shell), name, original)
            for name, original in state["lists"].items():
                getattr(shell, name)[:] = original
        sys.settrace(None)
        sys.setprofile(None)

    def verify(self) -> None:
        """Raise :class:`TamperingError` if anything the tests rely on was changed (after restoring it)."""
        found = self._own_class_methods["changes"](self)
        if found:
            self._own_class_methods["restore"](self)
            self.problems_at_start = []
            raise TamperingError(
                "The grading environment was changed by code in this notebook: " + "; ".join(found[:5])
                + (f" (and {len(found) - 5} more)" if len(found) > 5 else "")
                + ". This exercise scores zero. The originals are back, so the next exercises are graded as usual."
                " Cells must not replace library functions, the tests' helpers or IPython's error handling.")

    # -- the student's own work -----------------------------------------------------------------------
    def _blocked(self, name: str) -> bool:
        if not name.startswith("course_lib."):
            return False  # the package itself only re-exports the runtime helpers
        return not any(name == a or name.startswith(a + ".") for a in self.allowed)

    @contextlib.contextmanager
    def own_work(self, *, block: tuple[str, ...] = ()):
        """Run the block with the course's reference implementations unavailable.

        Any call into a ``course_lib`` module other than the allowed utilities raises
        :class:`DelegationError`; so does leaving the block after such a call was attempted, even if the
        answer caught the first error. ``block``: further packages the exercise must do without, e.g.
        ``("keras", "tensorflow")`` for a transposed convolution written in NumPy.
        """
        attempted: list[str] = []
        blocked_cache: dict = {}
        extra = tuple(block)

        def hook(frame, event, arg):
            if event != "call":
                return None
            name = frame.f_globals.get("__name__", "")
            blocked = blocked_cache.get(name)
            if blocked is None:
                blocked = blocked_cache[name] = self._blocked(name) or any(
                    name == b or name.startswith(b + ".") for b in extra)
            if blocked:
                attempted.append(f"{name}.{frame.f_code.co_name}")
                raise DelegationError(self._delegation_message(attempted))
            return None

        previous = sys.gettrace()
        sys.settrace(hook)
        try:
            yield self
        except DelegationError:
            raise
        except BaseException:
            if attempted:
                raise DelegationError(self._delegation_message(attempted)) from None
            raise
        finally:
            sys.settrace(previous)
        if attempted:
            raise DelegationError(self._delegation_message(attempted))
        _VERIFY(self)  # the module's own reference: replacing Checker.verify cannot silence this

    @staticmethod
    def _delegation_message(attempted: list[str]) -> str:
        if not attempted[0].startswith("course_lib."):
            return (f"your answer called `{attempted[0]}`: this exercise asks you to compute it yourself (with "
                    f"NumPy and arithmetic), so `{attempted[0].split('.')[0]}` is unavailable while it is graded.")
        return (f"your answer called `{attempted[0]}`, the course's reference implementation. The grader runs "
                "your code with the reference for this exercise unavailable, so an answer that hands the work "
                "to course_lib scores zero here: write it yourself (the lecture notebook shows how).")

    @staticmethod
    @contextlib.contextmanager
    def stand_in(namespace: dict, **objects):
        """Bind correct versions of earlier exercises' answers in ``namespace`` for the block, then put the
        student's back: a slip in one exercise then costs that exercise only."""
        missing = object()
        saved = {name: namespace.get(name, missing) for name in objects}
        namespace.update(objects)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is missing:
                    namespace.pop(name, None)
                else:
                    namespace[name] = value

    def run(self, function, *args, **kwargs):
        """``function(*args, **kwargs)`` inside :meth:`own_work`."""
        with self.own_work():
            return function(*args, **kwargs)


_VERIFY = Checker.verify

__all__ = ["Checker", "DelegationError", "TamperingError"]
