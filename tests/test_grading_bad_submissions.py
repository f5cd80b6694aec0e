"""Grading stays fair and alive when students hand in broken work."""
import json

import pytest

from course_files import REPO
from nbgrader_course import Course

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]
WEEK = "week1_python"
SOURCE = REPO / WEEK / "week1_assignment.ipynb"


def _with_cell(nb: dict, grade_id: str, source: str) -> dict:
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = source
            return nb
    raise KeyError(grade_id)


@pytest.fixture(scope="module")
def graded_bad(tmp_path_factory):
    course = Course(tmp_path_factory.mktemp("course"), WEEK)
    assert course.nbgrader("generate_assignment", WEEK, "--force").returncode == 0
    reference = json.loads(SOURCE.read_text())

    # loops forever in exercise 1; every other answer is right
    looping = _with_cell(json.loads(SOURCE.read_text()), "ex1_standardize",
                         "def standardize_columns(X):\n    while True:\n        pass\n")
    # rewrote a locked test cell so that it always passes
    tampered = _with_cell(json.loads(SOURCE.read_text()), "ex7_perceptron",
                          "def perceptron_forward(X, w, b):\n    return None\n")
    tampered = _with_cell(tampered, "ex7_tests", "print('all good')\n")
    for student, nb in {"looping": looping, "tampered": tampered, "ref": reference}.items():
        path = course.root / "submitted" / student / WEEK / SOURCE.name
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb))
    broken = course.root / "submitted" / "broken" / WEEK / SOURCE.name
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ this is not json')

    # A short cell timeout keeps the test quick; the course default is in nbgrader_config.py.
    proc = course.nbgrader("autograde", WEEK, "--force", "--Execute.timeout=15", timeout=600)
    return course, proc


def test_infinite_loop_is_interrupted_and_scores_only_that_exercise_zero(graded_bad):
    course, _ = graded_bad
    scores = course.scores("looping")
    assert scores["per_cell"]["ex1_tests"][0] == 0
    others = {k: v for k, v in scores["per_cell"].items() if k != "ex1_tests"}
    assert all(got == best for got, best in others.values()), f"other exercises lost points: {others}"


def test_tampered_test_cell_is_restored_before_grading(graded_bad):
    course, _ = graded_bad
    assert course.scores("tampered")["per_cell"]["ex7_tests"][0] == 0


def test_broken_notebook_does_not_stop_grading_of_others(graded_bad):
    course, proc = graded_bad
    ref = course.scores("ref")
    assert ref["auto_score"] == ref["auto_max"]
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, "autograde should report that one submission failed"
    assert "for student 'broken'" in log, "nbgrader should name the broken submission in its log"
    assert not (course.root / "autograded" / "broken" / WEEK / SOURCE.name).exists()
