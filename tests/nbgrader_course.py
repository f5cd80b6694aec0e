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

    @staticmethod
    def env() -> dict:
        # nbgrader shells out to `alembic` for its database: put the venv's bin first on PATH.
        return dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))

    def nbgrader(self, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.root, env=self.env(),
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


def region_lines(source_nb: Path, regions: tuple[str, ...], min_length: int) -> list[str]:
    """Non-trivial lines inside the named regions ("SOLUTION", "HIDDEN TESTS") of a source notebook that
    appear nowhere outside them: a line students also see elsewhere (`with tf.GradientTape() as tape:`)
    proves no leak."""
    inside_lines, outside_lines, inside = [], set(), False
    for line in notebook_text(source_nb).splitlines():
        stripped = line.strip()
        if stripped in {f"### BEGIN {r}" for r in regions}:
            inside = True
        elif stripped in {f"### END {r}" for r in regions}:
            inside = False
        elif inside:
            if len(stripped) > min_length and not stripped.startswith("#"):
                inside_lines.append(stripped)
        else:
            outside_lines.add(stripped)
    return [line for line in inside_lines if not any(line in other for other in outside_lines)]


def hidden_lines(source_nb: Path) -> list[str]:
    """Lines of solution and hidden-test regions: none may reach the release."""
    return region_lines(source_nb, ("SOLUTION", "HIDDEN TESTS"), 25)


# -- synthetic submissions: a class of students, careless and cheating ----------------------------------
def grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cell_index(nb: dict, gid: str) -> int:
    for index, cell in enumerate(nb["cells"]):
        if grade_id(cell) == gid:
            return index
    raise KeyError(f"no cell with grade_id {gid!r}")


def set_source(nb: dict, gid: str, source: str) -> dict:
    nb["cells"][cell_index(nb, gid)]["source"] = source
    return nb


def insert_after(nb: dict, gid: str, source: str) -> dict:
    """Add a plain code cell (one a student wrote) right after the cell ``gid``."""
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
    nb["cells"].insert(cell_index(nb, gid) + 1, cell)
    return nb


def take_answers(target: dict, donor: dict, gids) -> dict:
    """Copy the answer cells ``gids`` of ``donor`` (e.g. the reference) into ``target`` (e.g. the release)."""
    for gid in gids:
        set_source(target, gid, "".join(donor["cells"][cell_index(donor, gid)]["source"]))
    return target


def paste_reference_answers(release: dict, source: dict) -> list[str]:
    """What a student who got everything right hands in: the release with the source notebook's answer in
    every answer cell (without nbgrader's markers). Returns the answer cells' grade_ids."""
    answers = solution_ids(source)
    in_release = solution_ids(release)
    assert sorted(in_release) == sorted(answers), f"answer cells differ: {set(answers) ^ set(in_release)}"
    for gid in answers:
        lines = "".join(source["cells"][cell_index(source, gid)]["source"]).splitlines()
        set_source(release, gid, "\n".join(line for line in lines if line.strip() not in SOLUTION_MARKERS))
    return answers


def solution_ids(nb: dict) -> list[str]:
    return [grade_id(c) for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def write_submission(root: Path, student: str, week: str, nb: dict | None, name: str, raw: str | None = None) -> Path:
    path = root / "submitted" / student / week / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(raw if raw is not None else json.dumps(nb))
    return path


def feedback_files(root: Path, week: str) -> list[Path]:
    return sorted((root / "feedback").glob(f"*/{week}/*.html"))


def hidden_test_lines(source_nb: Path) -> list[str]:
    """Lines of hidden-test regions (never for students' eyes); solution lines may show in the reference
    student's feedback, so they count as seen."""
    return region_lines(source_nb, ("HIDDEN TESTS",), 20)
