"""Where the course's notebooks and assignments live, found by globbing, so a new
notebook is tested without editing the tests; and how a notebook is run in quick mode,
shared by tests/test_notebooks.py and bench/notebook_times.py."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COURSE_DIRS = [
    "week1_python",
    "week2_gradient_descent",
    "week3_cnn",
    "week4_gans",
    "week5_nlp",
    "week6_dcgan",
    "final_text2image",
]
# Only a guard against a hung kernel: no cell of the course comes near it, on any machine we know.
# How long notebooks take is measured by bench/notebook_times.py, not asserted.
CELL_HANG_GUARD_S = 1200


def course_notebooks() -> list[Path]:
    found = []
    for folder in COURSE_DIRS:
        found += [p for p in sorted((REPO / folder).rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    return found


def assignment_notebooks() -> list[Path]:
    """The graded source notebooks: names containing 'assignment' (see nbgrader_config.py)."""
    return [p for p in course_notebooks() if "assignment" in p.stem and p.parent.parent == REPO]


def lecture_notebooks() -> list[Path]:
    """Every notebook that is not graded: the lectures of each week and the final walkthrough."""
    graded = set(assignment_notebooks())
    return [p for p in course_notebooks() if p not in graded]


def notebook_id(path: Path) -> str:
    return str(path.relative_to(REPO))


def quick_environment(root: Path) -> dict:
    """Environment variables for a quick-mode run that touches neither the network nor the developer's
    own data: quick mode, a headless plot backend, an empty course data dir and Keras home under ``root``."""
    return {"COURSE_QUICK": "1", "MPLBACKEND": "Agg", "COURSE_DATA_DIR": str(root / "course_data"),
            "KERAS_HOME": str(root / "keras_home"), "PYTHONWARNINGS": "ignore::DeprecationWarning"}


def execute_notebook(path: Path, workdir: Path, *, cell_timeout: int = CELL_HANG_GUARD_S):
    """Run a notebook top to bottom with a python3 kernel, in a copy of its week folder under ``workdir``
    (so files it writes stay out of the repository; a copy made for an earlier notebook of the week is reused,
    with what that notebook wrote). The kernel inherits this process's environment."""
    import nbformat
    from nbclient import NotebookClient

    folder = workdir / path.parent.name
    if not folder.exists():
        shutil.copytree(path.parent, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    nb = nbformat.read(folder / path.name, as_version=4)
    NotebookClient(nb, timeout=cell_timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def use_environment(monkeypatch, environment: dict) -> None:
    """Make ``environment`` this process's whole environment for the test (``monkeypatch`` undoes it)."""
    for name in set(os.environ) - set(environment):
        monkeypatch.delenv(name)
    for name, value in environment.items():
        if os.environ.get(name) != value and not name.startswith("PYTEST_"):  # pytest's own bookkeeping
            monkeypatch.setenv(name, value)
