"""A released assignment stands alone: what a student downloads runs to full marks outside the repository.

For every graded notebook: release it with the real nbgrader, copy the release to a folder outside the
repository (a student's laptop), paste the reference answers into its answer cells (the solution regions of
the source notebook, matched by grade_id; the hidden tests are not in the release), and run it top to bottom
with a real kernel in quick mode. Every cell must run without an error, so every visible test passes, and the
notebook must not open anything in the repository except the installed course_lib (an audit hook in the kernel
records every file and folder it opens).

This is the only place the graded notebooks run outside nbgrader (tests/test_notebooks.py runs the lectures),
so it costs one quick run per assignment.
"""
from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from course_files import CELL_HANG_GUARD_S, REPO, assignment_notebooks, notebook_id
from nbgrader_course import Course, grade_id

pytestmark = [pytest.mark.nbgrader, pytest.mark.notebook, pytest.mark.slow]

ASSIGNMENTS = assignment_notebooks()
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
# What a notebook may open inside the repository: the installed course itself (an editable install) and the venv.
ALLOWED_IN_REPO = ("course_lib", ".venv", "gans_creative_course.egg-info")

# Runs first, in the student's kernel: remember every path under the repository that the notebook opens or lists.
_AUDIT = """import sys as _audit_sys, os as _audit_os
_repo_opened = set()
def _audit_repo(event, args, _repo={repo!r}, _allowed={allowed!r}, _seen=_repo_opened, _os=_audit_os):
    if event in ("open", "os.listdir", "os.scandir", "glob.glob") and args and isinstance(args[0], (str, bytes)):
        path = _os.path.abspath(_os.fsdecode(args[0]))
        if path.startswith(_repo + _os.sep) and not path[len(_repo) + 1:].startswith(_allowed):
            _seen.add(path)
_audit_sys.addaudithook(_audit_repo)"""
_REPORT = "import json as _audit_json; print(_audit_json.dumps(sorted(_repo_opened)))"


def reference_answer(cell) -> str:
    """The source notebook's answer, without nbgrader's markers."""
    return "\n".join(line for line in cell.source.splitlines() if line.strip() not in MARKERS)


def paste_answers(release, source) -> list[str]:
    """Put the reference answer into every answer cell of the release; return their grade_ids."""
    answers = {grade_id(cell): cell for cell in source.cells if cell.metadata.get("nbgrader", {}).get("solution")}
    pasted = []
    for cell in release.cells:
        gid = grade_id(cell)
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert gid in answers, f"the release has an answer cell {gid!r} that the source notebook lacks"
            cell.source = reference_answer(answers[gid])
            pasted.append(gid)
    assert sorted(pasted) == sorted(answers), f"answer cells missing from the release: {set(answers) - set(pasted)}"
    return pasted


def errors(nb) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {index} ({grade_id(cell) or 'ungraded'}): {out['ename']}: {out['evalue'][:300]}")
    return found


@pytest.mark.parametrize("source_path", ASSIGNMENTS, ids=notebook_id)
def test_release_runs_standalone_to_full_marks(source_path, tmp_path, quick_env):
    course = Course(tmp_path / "course", source_path.parent.name)
    made = course.nbgrader("generate_assignment", course.week, "--force")
    assert made.returncode == 0, made.stdout + made.stderr

    laptop = tmp_path / "laptop" / course.week  # what the student unpacks, far from the repository
    shutil.copytree(course.release_dir(), laptop)
    assert REPO not in laptop.parents
    release = nbformat.read(laptop / source_path.name, as_version=4)
    source = nbformat.read(source_path, as_version=4)

    code = "\n".join(c.source for c in release.cells if c.cell_type == "code")
    assert str(REPO) not in code, "the release names the repository's folder"
    assert not re.search(r"""["']\.\.[/\\]""", code), "the release reads a path outside its own folder ('../')"

    paste_answers(release, source)
    tests = [grade_id(c) for c in release.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert tests, "the release has no graded test cells"
    release.cells.insert(0, new_code_cell(_AUDIT.format(repo=str(REPO), allowed=ALLOWED_IN_REPO)))
    release.cells.append(new_code_cell(_REPORT))

    NotebookClient(release, timeout=CELL_HANG_GUARD_S, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(laptop)}}).execute()

    failed = errors(release)
    assert not failed, "the released notebook with the reference answers failed:\n" + "\n".join(failed)
    not_run = [gid for gid in tests if next(c for c in release.cells if grade_id(c) == gid).execution_count is None]
    assert not not_run, f"test cells that never ran: {not_run}"
    opened = json.loads(release.cells[-1].outputs[-1]["text"])
    assert not opened, f"the released notebook opened files in the repository: {opened[:10]}"


def test_the_audit_sees_what_a_notebook_opens_in_the_repository(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        new_code_cell(_AUDIT.format(repo=str(REPO), allowed=ALLOWED_IN_REPO)),
        new_code_cell(f"import os, course_lib\nopen({str(REPO / 'README.md')!r}).close()\n"
                      f"os.listdir({str(REPO / 'week1_python')!r})\nopen('mine.txt', 'w').close()"),
        new_code_cell(_REPORT)])
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert json.loads(nb.cells[-1].outputs[-1]["text"]) == [str(REPO / "README.md"), str(REPO / "week1_python")]
