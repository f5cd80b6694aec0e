"""A whole class, careless and cheating, graded through the instructor's command: every score is fair.

Eighteen synthetic submissions of Week 2 (automatic points 2, 2, 1, 3, 4, 2 and 4: 18 in all) are graded with
``course grade week2_gradient_descent -j 2`` in a throw-away course directory, then ``nbgrader generate_feedback``
writes their feedback. Every student's score must equal the fair score written next to the submission, nothing may
stop the batch, and no feedback file may hold a line of the hidden tests.

Week 2 needs no TensorFlow, so a submission grades in about a third of a GAN week's time; the cheats are the same
in every week (the checker is one module). The GAN-step checks of Weeks 4 and 6 have their own tests
(test_grading_gan_steps.py), and every week's reference and blank notebooks go through nbgrader in
test_nbgrader_pipeline.py.
"""
import copy
import csv
import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from course_files import REPO
from nbgrader_course import (Course, cell_index, feedback_files, hidden_test_lines, insert_after, set_source,
                             solution_ids, take_answers, write_submission)

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.xdist_group("test_grading_class")]
WEEK = "week2_gradient_descent"
SOURCE = REPO / WEEK / "week2_assignment.ipynb"
NAME = SOURCE.name
FULL = 18

# Mistakes a student could make; each fails its exercise's visible tests.
WRONG_SPLIT = ("def load_and_split(test_size=0.2, seed=0):\n"
               "    X_all, y_all = load_diabetes(return_X_y=True)\n"
               "    return train_test_split(X_all, y_all, test_size=test_size, random_state=1)\n")
WRONG_STANDARDIZE = ("def standardize(X_train, X_test):\n"  # scales the test set with its own statistics
                     "    return ((X_train - X_train.mean(0)) / np.where(X_train.std(0) == 0, 1, X_train.std(0)),\n"
                     "            (X_test - X_test.mean(0)) / np.where(X_test.std(0) == 0, 1, X_test.std(0)))\n")
SUMMED_LOSS = ("def mse_loss(X, y, w, b):\n"
               "    return float(np.sum((np.asarray(X) @ w + b - np.asarray(y)) ** 2))\n")
DELEGATED_MSE = ("from course_lib import regression\n\n\n"
                 "def mse_loss(X, y, w, b):\n    return regression.mse(X, y, w, b)\n\n\n"
                 "def mse_gradient(X, y, w, b):\n    return regression.mse_gradient(X, y, w, b)\n")


def build_class(root: Path, reference: dict, release: dict) -> dict[str, int]:
    """Write the submissions; return each student's fair score."""
    def ref():
        return copy.deepcopy(reference)

    fair = {}

    def hand_in(student, nb, score, name=NAME, raw=None):
        write_submission(root, student, WEEK, nb, name, raw)
        fair[student] = score

    hand_in("reference", ref(), FULL)
    hand_in("blank", copy.deepcopy(release), 0)
    hand_in("partial", take_answers(copy.deepcopy(release), reference, ["ex1_load_split", "ex2_standardize"]), 4)
    dup = ref()
    dup["cells"].insert(cell_index(dup, "ex3_mse") + 1, copy.deepcopy(dup["cells"][cell_index(dup, "ex3_mse")]))
    hand_in("duplicated_answer", dup, FULL)
    # A copied test cell, edited to pass, and the original deleted: the copy is restored and fails.
    cheat = set_source(ref(), "ex2_standardize", WRONG_STANDARDIZE)
    tests = cheat["cells"][cell_index(cheat, "ex2_tests")]
    copy_of_tests = copy.deepcopy(tests)
    copy_of_tests["source"] = "print('Exercise 2 visible tests passed.')\n"
    cheat["cells"].insert(cheat["cells"].index(tests), copy_of_tests)
    cheat["cells"].remove(tests)
    hand_in("copied_test_cell", cheat, FULL - 2)
    deleted = ref()
    del deleted["cells"][cell_index(deleted, "ex1_tests")]
    hand_in("deleted_test_cell", deleted, FULL)
    no_setup = ref()
    del no_setup["cells"][cell_index(no_setup, "setup")]
    hand_in("deleted_setup_cell", no_setup, FULL)
    ex3 = "".join(reference["cells"][cell_index(reference, "ex3_mse")]["source"])
    wrong_loss = SUMMED_LOSS + "\n\n" + ex3[ex3.index("def mse_gradient"):]  # the gradient stays right
    hand_in("edited_locked_cell", set_source(set_source(ref(), "ex3_mse", wrong_loss), "ex3_loss_tests", "pass\n"),
            FULL - 1)
    hand_in("kernel_dies", set_source(ref(), "ex2_standardize", "import os\nos._exit(1)\n"), FULL - 2)
    # A retry loop with a bare except swallows the grader's interrupt: the kernel has to be restarted. Its name
    # sorts first, so its wait for the cell timeout overlaps the rest of the class.
    hand_in("aa_stuck_loop", set_source(ref(), "ex1_load_split",
                                        "import time\n\n\n"
                                        "def load_and_split(test_size=0.2, seed=0):\n"
                                        "    while True:\n        try:\n            time.sleep(0.5)\n"
                                        "        except:\n            pass\n\n\n"
                                        "load_and_split()\n"), FULL - 2)
    hand_in("malformed_json", None, 0, raw='{"cells": [ {"cell_type": "code", ')
    hand_in("renamed_notebook", ref(), FULL, name="week2_assignment (1).ipynb")
    huge = set_source(ref(), "ex1_load_split", "for i in range(200_000):\n    print('line', i)\n\n"
                      + "".join(reference["cells"][cell_index(reference, "ex1_load_split")]["source"]))
    hand_in("huge_output", huge, FULL)
    hand_in("memory_hog", set_source(ref(), "ex2_standardize",
                                     "def standardize(X_train, X_test):\n"
                                     "    hoard = [np.ones(200_000_000) for _ in range(60)]\n"
                                     "    return hoard\n"), FULL - 2)
    hand_in("delegates_to_course_lib", set_source(ref(), "ex3_mse", DELEGATED_MSE), FULL - 4)  # Exercise 3's 1 + 3
    hand_in("patches_numpy", set_source(ref(), "ex2_standardize",
                                        WRONG_STANDARDIZE + "\nnp.allclose = lambda *a, **k: True\n"), FULL - 2)
    sneaky = insert_after(set_source(ref(), "ex2_standardize", WRONG_STANDARDIZE), "ex2_standardize",
                          "patch = setattr\npatch(np, 'allclose', lambda *a, **k: True)\n")
    hand_in("patches_numpy_at_run_time", sneaky, FULL - 2)
    ipython = insert_after(set_source(ref(), "ex1_load_split", WRONG_SPLIT), "ex1_load_split",
                           "import IPython as I\n"
                           "shell = getattr(I, 'get_' + 'ipython')()\n"
                           "shell.set_custom_exc((AssertionError,), lambda *a, **k: None)\n")
    hand_in("swallows_assertions", ipython, FULL - 2)
    return fair


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    course = Course(tmp_path_factory.mktemp("course"), WEEK)
    gen = course.nbgrader("generate_assignment", WEEK, "--force")
    assert gen.returncode == 0, gen.stderr
    reference = json.loads(SOURCE.read_text())
    release = json.loads((course.release_dir() / NAME).read_text())
    answers = {"ex1_load_split", "ex2_standardize", "ex3_mse", "ex4_gd_regressor", "ex5_choose", "ex6_answer"}
    assert set(solution_ids(release)) == answers, "the assignment's answer cells changed: update this test"
    fair = build_class(course.root, reference, release)
    # The instructor's command, as the README gives it. The cell timeout is shorter than the course's 180 s
    # (the endless loop waits for it) but generous: a busy or slow machine needs it for the setup's imports
    # (NumPy, scikit-learn and matplotlib, no TensorFlow).
    grade = subprocess.run([sys.executable, "-m", "course_lib.cli", "grade", WEEK, "-j", "2", "--timeout", "60",
                            "--memory-limit", "3", "--no-progress"], cwd=course.root, capture_output=True, text=True,
                           timeout=1800, env=course.env())
    feedback = course.nbgrader("generate_feedback", WEEK, "--force")
    return course, fair, grade, feedback


def test_every_score_is_fair(graded_class):
    course, fair, grade, _ = graded_class
    assert grade.returncode == 0, grade.stdout[-3000:] + grade.stderr[-3000:]
    got = {student: course.scores(student)["auto_score"] for student in fair}
    unfair = {s: (got[s], fair[s]) for s in fair if got[s] != fair[s]}
    assert not unfair, f"(got, fair) per student: {unfair}\n{grade.stdout[-4000:]}"


def test_the_summary_and_csv_say_who_failed_and_why(graded_class):
    course, fair, grade, _ = graded_class
    out = grade.stdout
    assert f"Graded {len(fair)} submissions of {WEEK}" in out
    for student, words in {"malformed_json": "not a readable notebook", "renamed_notebook": "renamed",
                           "deleted_test_cell": "put back", "kernel_dies": "kernel died",
                           "memory_hog": "memory", "aa_stuck_loop": "did not stop when interrupted",
                           "patches_numpy": "np.allclose", "delegates_to_course_lib": "reference implementation",
                           "patches_numpy_at_run_time": "numpy.allclose"}.items():
        assert re.search(rf"{student}: .*{re.escape(words)}", out), f"no note with {words!r} for {student}:\n{out}"
    rows = {r["student"]: r for r in csv.DictReader(open(course.root / "grades" / f"{WEEK}.csv"))}
    assert set(rows) == set(fair)
    assert float(rows["partial"]["ex2_tests"]) == 2 and float(rows["partial"]["ex4_tests"]) == 0
    assert float(rows["reference"]["score"]) == FULL and rows["malformed_json"]["status"] == "unreadable"


def test_no_feedback_shows_hidden_tests(graded_class):
    course, fair, _, feedback = graded_class
    assert feedback.returncode == 0, feedback.stderr[-3000:]
    files = feedback_files(course.root, WEEK)
    assert len(files) == len(fair) - 1, "every readable submission gets feedback"
    hidden = hidden_test_lines(SOURCE)
    assert hidden, "the assignment should have hidden tests"
    from bs4 import BeautifulSoup

    for html in files:
        text = unescape(BeautifulSoup(html.read_text(), "html.parser").get_text())
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{html.parent.parent.name}'s feedback shows hidden tests: {leaked[:3]}"
        assert "hidden tests ran here" in text


def test_huge_output_is_cut_in_the_graded_notebook(graded_class):
    course, *_ = graded_class
    graded = course.root / "autograded" / "huge_output" / WEEK / NAME
    text = graded.read_text()
    assert "line 199999" not in text and "Output truncated" in text
