import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def quick_env(monkeypatch, tmp_path):
    """Quick mode, a headless plot backend and an empty data dir, so no run touches the network
    or the developer's own MNIST copy."""
    monkeypatch.setenv("COURSE_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "course_data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("COURSE_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.setenv("PYTHONWARNINGS", "ignore::DeprecationWarning")
    return os.environ
