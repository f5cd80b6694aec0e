"""Shared fixtures. Under pytest-xdist (`make test` runs one worker per core with --dist loadgroup), a module
whose tests share a module-scoped fixture (a graded class, a trained run, a served app) is marked
``xdist_group(<module>)``, so that one worker builds the fixture once; every other test goes to whichever worker
is free."""
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from course_files import quick_environment  # noqa: E402


@pytest.fixture
def quick_env(monkeypatch, tmp_path):
    """Quick mode, a headless plot backend and an empty data dir, so no run touches the network
    or the developer's own MNIST copy."""
    for name, value in quick_environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COURSE_ALLOW_DOWNLOAD", raising=False)
    return os.environ
