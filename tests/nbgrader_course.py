"""Drive the real nbgrader command line in a throw-away course directory."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from course_files import REPO

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


class Course:
    """A temporary nbgrader course holding one week folder and the repo's nbgrader_config.py."""

    def __init__(self, root: Path, week: str):
        self.root, self.week = Path(root), week
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "nbgrader_config.py", self.root)
        shutil.copytree(REPO / week, self.root / week,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))

    def nbgrader(self, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
        # nbgrader shells out to `alembic` for its database: put the venv's bin first on PATH.
        env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
        return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=timeout)

    def release_dir(self) -> Path:
        return self.root / "release" / self.week

    def submit(self, student: str, notebook: Path) -> Path:
        dest = self.root / "submitted" / student / self.week / notebook.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, dest)
        return dest

    def scores(self, student: str) -> dict:
        """Auto-graded and manual points for a student's submission, from the gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            sub = gb.find_submission(self.week, student)
            cells = [g for nb in sub.notebooks for g in nb.grades]
            auto = [g for g in cells if g.auto_score is not None or not g.needs_manual_grade]
            return {
                "auto_score": sum(g.auto_score or 0 for g in cells if g.cell.cell_type == "code"),
                "auto_max": sum(g.max_score for g in cells if g.cell.cell_type == "code"),
                "manual_max": sum(g.max_score for g in cells if g.cell.cell_type == "markdown"),
                "per_cell": {g.name: (g.auto_score, g.max_score) for g in auto},
            }


def notebook_text(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in json.loads(Path(path).read_text())["cells"])


def hidden_lines(source_nb: Path) -> list[str]:
    """Non-trivial lines inside solution and hidden-test regions of a source notebook."""
    lines, inside = [], False
    for line in notebook_text(source_nb).splitlines():
        stripped = line.strip()
        if stripped in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
            inside = True
        elif stripped in ("### END SOLUTION", "### END HIDDEN TESTS"):
            inside = False
        elif inside and len(stripped) > 25 and not stripped.startswith("#"):
            lines.append(stripped)
    return lines
