"""The real nbgrader pipeline on every graded assignment, the way a class meets it: release, a student's
laptop, autograde, feedback.

For every graded notebook: release it with the real nbgrader; alice hands in the release with the reference
answers pasted into its answer cells (what a student who got everything right writes; the hidden tests are
not in the release), bob hands in the untouched release. Both are graded with the instructor's command
(`course grade -j 2`, nbgrader's own Autograde) in a course folder outside the repository, with an audit hook in
every kernel (tests/repo_audit) that records each file the notebook opens in the repository: a release that
reads the repository works only on the author's machine. Alice gets full marks with no cell failing, bob zero,
and neither's feedback shows a hidden test. This is the only place the graded notebooks run
(tests/test_notebooks.py runs the lectures), so it costs one quick run per assignment and student, and one
more of alice's notebook, as she runs it herself, where grading skips ungraded training cells.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from course_files import CELL_HANG_GUARD_S, REPO, assignment_notebooks, notebook_id
from nbgrader_course import (SOLUTION_MARKERS, Course, cell_index, grade_id, hidden_lines, hidden_test_lines,
                             notebook_text, paste_reference_answers)

ASSIGNMENTS = assignment_notebooks()
AUDIT_DIR = Path(__file__).parent / "repo_audit"
pytestmark = [pytest.mark.nbgrader, pytest.mark.notebook, pytest.mark.slow]


def audit_env(log: Path) -> dict:
    """Environment for processes whose opening of repository files is recorded in ``log``."""
    path = os.pathsep.join(p for p in (str(AUDIT_DIR), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "REPO_AUDIT_LOG": str(log), "REPO_AUDIT_REPO": str(REPO)}


def opened_in_repo(log: Path) -> list[str]:
    return sorted(set(log.read_text().split())) if log.exists() else []


def test_every_week_with_an_assignment_is_found():
    assert any(p.parent.name == "week1_python" for p in ASSIGNMENTS)


# Under pytest-xdist each assignment's tests stay in one worker, which grades the class once.
@pytest.fixture(scope="module", params=[pytest.param(p, marks=pytest.mark.xdist_group(notebook_id(p)))
                                        for p in ASSIGNMENTS], ids=notebook_id)
def graded(request, tmp_path_factory):
    """Release the assignment, hand in alice's (reference answers) and bob's (untouched) copies, grade both
    with `course grade -j 2` under the audit, and write their feedback."""
    source = request.param
    course = Course(tmp_path_factory.mktemp("course"), source.parent.name)
    assert REPO not in course.root.parents
    gen = course.nbgrader("generate_assignment", course.week, "--force")
    assert gen.returncode == 0, gen.stdout + gen.stderr
    released = course.release_dir() / source.name
    assert released.is_file(), f"generate_assignment made no {released}\n{gen.stderr}"
    alice = json.loads(released.read_text())
    paste_reference_answers(alice, json.loads(source.read_text()))
    course.submit("alice", released).write_text(json.dumps(alice, indent=1))
    course.submit("bob", released)
    log = course.root / "repo_opened.log"
    auto = subprocess.run([sys.executable, "-m", "course_lib.cli", "grade", course.week, "-j", "2", "--no-progress"],
                          cwd=course.root, env={**course.env(), **audit_env(log)}, capture_output=True, text=True,
                          timeout=1800)
    assert auto.returncode == 0, auto.stdout + auto.stderr
    feedback = course.nbgrader("generate_feedback", course.week, "--force")
    return course, source, released, feedback, opened_in_repo(log)


def test_release_has_no_solutions_or_hidden_tests(graded):
    course, source, released, *_ = graded
    text = notebook_text(released)
    for marker in SOLUTION_MARKERS:
        assert marker not in text, f"the release still contains {marker!r}"
    leaked = [line for line in hidden_lines(source) if line in text]
    assert not leaked, f"solution or hidden-test lines leaked into the release: {leaked[:5]}"
    assert "raise NotImplementedError()" in text, "the release should hold stubs where solutions were"


def test_release_is_output_free_and_uses_python3(graded):
    _, _, released, *_ = graded
    nb = json.loads(released.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert not any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_release_stands_alone(graded):
    """Nothing in the release points into the repository, and graded outside it, no kernel opened a file there."""
    _, _, released, _, opened = graded
    code = "\n".join("".join(c["source"]) for c in json.loads(released.read_text())["cells"] if c["cell_type"] == "code")
    assert str(REPO) not in code, "the release names the repository's folder"
    assert not re.search(r"""["']\.\.[/\\]""", code), "the release reads a path outside its own folder ('../')"
    assert not opened, f"the released notebook opened files in the repository: {opened[:10]}"


def test_reference_answers_in_the_release_get_full_marks_and_no_cell_fails(graded):
    course, source, *_ = graded
    scores = course.scores("alice")
    assert scores["auto_max"] > 0, "the assignment has no auto-graded points"
    lost = {k: v for k, v in scores["per_cell"].items() if v[0] != v[1]}
    assert scores["auto_score"] == scores["auto_max"], f"the reference answers lost points: {lost}"
    ran = nbformat.read(course.root / "autograded" / "alice" / course.week / source.name, as_version=4)
    failed = [f"cell {i}: {o['ename']}: {o['evalue'][:300]}" for i, c in enumerate(ran.cells)
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not failed, "cells failed in the release with the reference answers:\n" + "\n".join(failed)


def test_untouched_release_gets_zero(graded):
    course, *_ = graded
    scores = course.scores("bob")
    earned = {k: v for k, v in scores["per_cell"].items() if v[0]}
    assert scores["auto_score"] == 0, f"an untouched release earned points: {earned}"


def test_feedback_is_generated_and_shows_no_hidden_test(graded):
    from bs4 import BeautifulSoup

    course, source, _, feedback, _ = graded
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    hidden = hidden_test_lines(source)
    for student in ("alice", "bob"):
        html = course.root / "feedback" / student / course.week / (source.stem + ".html")
        assert html.is_file(), f"no feedback for {student}"
        text = unescape(BeautifulSoup(html.read_text(), "html.parser").get_text())
        assert "Score" in text or "score" in text
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback shows hidden tests: {leaked[:3]}"


def skipped_while_grading(notebook: dict) -> list[str]:
    """grade_ids of the ungraded cells that nbgrader skips: they branch on cl.is_grading()."""
    return [grade_id(c) for c in notebook["cells"]
            if c["cell_type"] == "code" and "cl.is_grading()" in "".join(c["source"])]


def test_cells_skipped_while_grading_run_on_the_students_machine(graded, tmp_path, quick_env, monkeypatch):
    """Grading skips the ungraded training cells (they earn no points and cost most of a graded run); alice's
    notebook, run as she runs it (a plain quick-mode kernel, in a folder outside the repository), trains and draws
    in them."""
    course, source, released, *_ = graded
    skipped = skipped_while_grading(json.loads(source.read_text()))
    if not skipped:
        pytest.skip(f"{source.name} has no cell that grading skips")
    autograded = nbformat.read(course.root / "autograded" / "alice" / course.week / source.name, as_version=4)
    for gid in skipped:
        out = "".join(o.get("text", "") for o in autograded.cells[cell_index(autograded, gid)].get("outputs", []))
        assert out.startswith("Not run while grading"), f"grading ran {gid}: {out[:300]!r}"
    monkeypatch.delenv("MPLBACKEND")  # Jupyter's own inline backend, so that figures show as they do for her
    laptop = tmp_path / "laptop" / course.week
    shutil.copytree(released.parent, laptop)
    shutil.copy(course.root / "submitted" / "alice" / course.week / source.name, laptop / source.name)
    nb = nbformat.read(laptop / source.name, as_version=4)
    NotebookClient(nb, timeout=CELL_HANG_GUARD_S, kernel_name="python3",
                   resources={"metadata": {"path": str(laptop)}}).execute()  # a failing cell raises here
    for gid in skipped:
        outputs = nb.cells[cell_index(nb, gid)]["outputs"]
        assert not any("Not run while grading" in o.get("text", "") for o in outputs), f"{gid} was skipped"
        assert any("image/png" in o.get("data", {}) for o in outputs), f"{gid} drew nothing: {outputs}"


def test_the_audit_sees_what_a_kernel_opens_in_the_repository(tmp_path):
    """The audit itself can fail: a kernel that reads the README and lists a week folder is caught."""
    log = tmp_path / "opened.log"
    nb = nbformat.v4.new_notebook(cells=[new_code_cell(
        f"import os, course_lib\nopen({str(REPO / 'README.md')!r}).close()\n"
        f"os.listdir({str(REPO / 'week1_python')!r})\nopen('mine.txt', 'w').close()")])
    old = dict(os.environ)
    os.environ.update(audit_env(log))
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert opened_in_repo(log) == [str(REPO / "README.md"), str(REPO / "week1_python")]
