"""Shared fixtures. Under pytest-xdist (`make test` runs one worker per core with --dist loadgroup), a module
whose tests share a module-scoped fixture (a graded class, a trained run, a served app) is marked
``xdist_group(<module>)``, so that one worker builds the fixture once; the modules that share the tiny trained run
of tests/tiny_run.py are one group for the same reason. Every other test goes to whichever worker is free."""
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from course_files import quick_environment, use_environment  # noqa: E402


def _weight(item) -> int:
    """0: runs notebooks or graders in kernels (minutes), 1: other slow tests, 2: the rest (seconds)."""
    if item.get_closest_marker("notebook") or item.get_closest_marker("nbgrader"):
        return 0
    return 1 if item.get_closest_marker("slow") else 2


def pytest_collection_modifyitems(items):
    """Heaviest modules first, so that a parallel run ends with both workers sharing small tests rather than one
    waiting for the other's notebooks (`make test` passes --no-loadscope-reorder so that pytest-xdist keeps this
    order). A module stays in one piece: its module-scoped fixtures are built once."""
    weight = {}  # by file: every collected item has a path, not every kind of item has a Python module
    for item in items:
        weight[item.path] = min(weight.get(item.path, 2), _weight(item))
    items.sort(key=lambda item: weight[item.path])  # stable: collection order within a weight


@pytest.fixture
def quick_env(monkeypatch, tmp_path):
    """Quick mode, a headless plot backend and an empty data dir, so no run touches the network
    or the developer's own MNIST copy."""
    for name, value in quick_environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COURSE_ALLOW_DOWNLOAD", raising=False)
    return os.environ


@pytest.fixture
def course_here(monkeypatch, capsys):
    """`course ARGS` in this process: ``course_here(environment, *args)`` calls ``cli.main`` (what the console
    script calls) with ``environment`` as the process environment, and returns what the console script would
    exit with and print, warnings included as Python prints them to stderr. It spares a test a process that
    imports TensorFlow; a few tests still run the console script itself."""
    from course_lib import cli

    def run(environment: dict, *args: str) -> subprocess.CompletedProcess:
        use_environment(monkeypatch, environment)
        capsys.readouterr()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for quiet in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.simplefilter("ignore", quiet)  # as Python's default filters do outside __main__
            try:
                code = cli.main(list(args))
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code
        out, err = capsys.readouterr()
        err += "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught)
        return subprocess.CompletedProcess(["course", *args], code, out, err)
    return run
