"""The instructor's workflow of the README, through its make targets, in a copy of the course.

`make release`, students' folders copied into submitted/, `make autograde` (parallel `course grade`),
`make feedback`: the scores land in nbgrader's gradebook and in grades/WEEK.csv, and every student gets
feedback that shows no hidden test.
"""
import copy
import csv
import json
import os
import shutil
import subprocess
from html import unescape

import pytest

from course_files import REPO
from nbgrader_course import feedback_files, hidden_test_lines, set_source, write_submission

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.xdist_group("test_grading_make_workflow")]
WEEK = "week1_python"
SOURCE = REPO / WEEK / "week1_assignment.ipynb"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course directory that shares the repository's installed .venv."""
    root = tmp_path_factory.mktemp("course")
    for name in ("Makefile", "nbgrader_config.py", "pyproject.toml"):
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / WEEK, root / WEEK, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    venv = REPO / ".venv"
    stamps = list(venv.glob(".installed-*"))
    if not stamps:
        pytest.skip("run through `make test`, which builds .venv first")
    os.symlink(venv, root / ".venv")
    # The copy's pyproject.toml must look older than the shared venv's stamp: otherwise make would reinstall the
    # course into the shared .venv from this copy, which has no course_lib, and break it for every later test.
    stamp = min(p.stat().st_mtime for p in stamps)
    os.utime(root / "pyproject.toml", (stamp - 1, stamp - 1))
    return root


def make(root, *args, timeout=900):
    return subprocess.run(["make", *args], cwd=root, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, MPLBACKEND="Agg"))


def test_release_grade_and_feedback_through_make(course):
    release = make(course, "release", f"WEEK={WEEK}")
    assert release.returncode == 0, release.stdout[-2000:] + release.stderr[-2000:]
    released = json.loads((course / "release" / WEEK / SOURCE.name).read_text())
    reference = json.loads(SOURCE.read_text())
    write_submission(course, "ada", WEEK, reference, SOURCE.name)
    write_submission(course, "bo", WEEK, released, SOURCE.name)
    write_submission(course, "cy", WEEK, set_source(copy.deepcopy(reference), "ex4_copy", "import os\nos._exit(1)\n"),
                     SOURCE.name)

    grade = make(course, "autograde", f"WEEK={WEEK}", "JOBS=2")
    assert grade.returncode == 0, grade.stdout[-3000:] + grade.stderr[-3000:]
    assert "Graded 3 submissions" in grade.stdout
    rows = {r["student"]: r for r in csv.DictReader(open(course / "grades" / f"{WEEK}.csv"))}
    total = float(rows["ada"]["max_score"])
    assert float(rows["ada"]["score"]) == total
    assert float(rows["bo"]["score"]) == 0
    assert float(rows["cy"]["score"]) == total - float(rows["ada"]["ex4_tests"]) and float(rows["cy"]["ex4_tests"]) == 0

    feedback = make(course, "feedback", f"WEEK={WEEK}")
    assert feedback.returncode == 0, feedback.stderr[-2000:]
    files = feedback_files(course, WEEK)
    assert {f.parent.parent.name for f in files} == {"ada", "bo", "cy"}
    from bs4 import BeautifulSoup

    hidden = hidden_test_lines(SOURCE)
    for html in files:
        text = unescape(BeautifulSoup(html.read_text(), "html.parser").get_text())
        assert not [line for line in hidden if line in text], f"hidden tests in {html}"

    export = subprocess.run([str(course / ".venv" / "bin" / "nbgrader"), "export"], cwd=course, capture_output=True,
                            text=True, timeout=300, env=dict(os.environ, PATH=f"{course / '.venv' / 'bin'}:{os.environ['PATH']}"))
    assert export.returncode == 0, export.stderr[-2000:]
    exported = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv"))}
    assert float(exported["ada"]["raw_score"]) == total and float(exported["bo"]["raw_score"]) == 0
