"""Plain `nbgrader autograde` with the course's configuration stays fair when students hand in broken work.

The course's own command (`course grade`, tested with a whole class in test_grading_class.py) runs the same
pipeline in parallel; this test runs nbgrader's serial command on Week 1, so an instructor who prefers it
gets the same fairness: a duplicated graded cell no longer aborts the batch (nbgrader issue #1083), a dying
kernel costs one exercise, deleted locked cells come back, an infinite loop is interrupted, a tampered test
cell is restored and an unreadable notebook is skipped without stopping anyone else.
"""
import copy
import json

import pytest

from course_files import REPO
from nbgrader_course import Course, cell_index, set_source, write_submission

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.xdist_group("test_grading_bad_submissions")]
WEEK = "week1_python"
SOURCE = REPO / WEEK / "week1_assignment.ipynb"
POINTS = {"ex1_tests": 3, "ex4_tests": 2, "ex7_tests": 3}


@pytest.fixture(scope="module")
def graded_bad(tmp_path_factory):
    course = Course(tmp_path_factory.mktemp("course"), WEEK)
    assert course.nbgrader("generate_assignment", WEEK, "--force").returncode == 0
    reference = json.loads(SOURCE.read_text())

    def ref():
        return copy.deepcopy(reference)

    duplicated = ref()  # copy-pasted a graded cell: two cells share a grade_id
    duplicated["cells"].insert(cell_index(duplicated, "ex1_tests"), copy.deepcopy(duplicated["cells"][cell_index(duplicated, "ex1_tests")]))
    no_setup = ref()
    del no_setup["cells"][cell_index(no_setup, "setup")]
    submissions = {
        "aa_duplicated": duplicated,  # graded first: it used to abort everyone after it
        "looping": set_source(ref(), "ex1_standardize", "def standardize_columns(X):\n    while True:\n        pass\n"),
        "tampered": set_source(set_source(ref(), "ex7_perceptron", "def perceptron_forward(X, w, b):\n    return None\n"),
                               "ex7_tests", "print('all good')\n"),
        "kernel_dies": set_source(ref(), "ex4_copy", "import os\nos._exit(1)\n"),
        "deleted_setup": no_setup,
        "ref": ref(),
    }
    for student, nb in submissions.items():
        write_submission(course.root, student, WEEK, nb, SOURCE.name)
    write_submission(course.root, "broken", WEEK, None, SOURCE.name, raw='{"cells": [ this is not json')
    # A short cell timeout keeps the test quick; the course default is in nbgrader_config.py.
    proc = course.nbgrader("autograde", WEEK, "--force", "--Execute.timeout=15", timeout=900)
    return course, proc


def _lost(course, student) -> dict:
    scores = course.scores(student)
    return {k: v for k, v in scores["per_cell"].items() if v[0] != v[1]}


def test_a_duplicated_graded_cell_is_graded_and_stops_nobody(graded_bad):
    course, proc = graded_bad
    assert "old version" not in proc.stdout + proc.stderr, "nbgrader's #1083 abort is back"
    assert _lost(course, "aa_duplicated") == {}
    assert _lost(course, "ref") == {}


def test_infinite_loop_is_interrupted_and_scores_only_that_exercise_zero(graded_bad):
    course, _ = graded_bad
    assert _lost(course, "looping") == {"ex1_tests": (0, POINTS["ex1_tests"])}


def test_tampered_test_cell_is_restored_before_grading(graded_bad):
    course, _ = graded_bad
    assert _lost(course, "tampered") == {"ex7_tests": (0, POINTS["ex7_tests"])}


def test_a_dying_kernel_costs_only_its_exercise(graded_bad):
    course, _ = graded_bad
    assert _lost(course, "kernel_dies") == {"ex4_tests": (0, POINTS["ex4_tests"])}
    graded = (course.root / "autograded" / "kernel_dies" / WEEK / SOURCE.name).read_text()
    assert "KernelDied" in graded and "restarted the kernel" in graded


def test_a_deleted_setup_cell_is_put_back(graded_bad):
    course, _ = graded_bad
    assert _lost(course, "deleted_setup") == {}


def test_broken_notebook_does_not_stop_grading_of_others(graded_bad):
    course, proc = graded_bad
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, "autograde should report that one submission failed"
    assert "for student 'broken'" in log, "nbgrader should name the broken submission in its log"
    assert not (course.root / "autograded" / "broken" / WEEK / SOURCE.name).exists()
