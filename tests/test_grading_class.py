"""A whole class, careless and cheating, graded through the instructor's command: every score is fair.

Eighteen synthetic submissions of Week 4 (exercises worth 3, 5, 4, 4 and 4 points) are graded with
``course grade week4_gans -j 2`` in a throw-away course directory, then ``nbgrader generate_feedback``
writes their feedback. Every student's score must equal the fair score written next to the submission,
nothing may stop the batch, and no feedback file may hold a line of the hidden tests.
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
from nbgrader_course import (Course, feedback_files, hidden_test_lines, insert_after, set_source, solution_ids,
                             take_answers, write_submission)

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.xdist_group("test_grading_class")]
WEEK = "week4_gans"
SOURCE = REPO / WEEK / "week4_assignment.ipynb"
NAME = SOURCE.name

WRONG_D_STEP = '''bce = keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_step(G, D, d_opt, real, z):
    fakes = G(z, training=True)
    with tf.GradientTape() as tape:
        real_logits = D(real, training=True)
        fake_logits = D(fakes, training=True)
        d_loss = 0.5 + bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)
    grads = tape.gradient(d_loss, D.trainable_weights)
    d_opt.apply_gradients(zip(grads, D.trainable_weights))
    return d_loss


def generator_step(G, D, g_opt, z):
    with tf.GradientTape() as tape:
        fake_logits = D(G(z, training=True), training=True)
        g_loss = bce(tf.ones_like(fake_logits), fake_logits)
    grads = tape.gradient(g_loss, G.trainable_weights)
    g_opt.apply_gradients(zip(grads, G.trainable_weights))
    return g_loss
'''
NO_DROPOUT_D = '''def build_discriminator(dropout=0.3):
    stack = [keras.Input(shape=(28, 28, 1)), layers.Flatten()]
    for units in (1024, 512, 256):
        stack += [layers.Dense(units), layers.LeakyReLU(negative_slope=0.2)]
    stack.append(layers.Dense(1))
    return keras.Sequential(stack)
'''
DELEGATING = {
    "ex1_output_size": "from course_lib.convolution import transposed_output_size as _size\n\n\n"
                       "def transposed_output_size(n, kernel_size, stride=1, padding='valid'):\n"
                       "    return _size(n, kernel_size, stride, padding)\n",
    "ex2_conv2d_transpose": "from course_lib import convolution\n\n\n"
                            "def conv2d_transpose(x, kernel, stride=1, padding='valid'):\n"
                            "    return convolution.conv2d_transpose(x, kernel, stride=stride, padding=padding)\n",
    "ex3_generator": "from course_lib import gan\n\n\ndef build_generator(latent_dim=100):\n"
                     "    return gan.build_mlp_generator(latent_dim)\n",
    "ex4_discriminator": "from course_lib import gan\n\n\ndef build_discriminator(dropout=0.3):\n"
                         "    return gan.build_mlp_discriminator(dropout=dropout)\n",
}


def build_class(root: Path, reference: dict, release: dict) -> dict[str, int]:
    """Write the submissions; return each student's fair score."""
    def ref():
        return copy.deepcopy(reference)

    fair = {}

    def hand_in(student, nb, score, name=NAME, raw=None):
        write_submission(root, student, WEEK, nb, name, raw)
        fair[student] = score

    hand_in("reference", ref(), 20)
    hand_in("blank", copy.deepcopy(release), 0)
    hand_in("partial", take_answers(copy.deepcopy(release), reference, ["ex1_output_size", "ex2_conv2d_transpose"]), 8)
    dup = ref()
    dup["cells"].insert(dup["cells"].index(next(c for c in dup["cells"] if c["metadata"].get("nbgrader", {})
                                                 .get("grade_id") == "ex3_generator")) + 1,
                        copy.deepcopy(next(c for c in dup["cells"]
                                           if c["metadata"].get("nbgrader", {}).get("grade_id") == "ex3_generator")))
    hand_in("duplicated_answer", dup, 20)
    # A copied test cell, edited to pass, and the original deleted: the copy is restored and fails.
    cheat = set_source(ref(), "ex2_conv2d_transpose", "def conv2d_transpose(x, kernel, stride=1, padding='valid'):\n"
                                                      "    return np.zeros((1, 5, 5, 1))\n")
    tests = next(c for c in cheat["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "ex2_tests")
    copy_of_tests = copy.deepcopy(tests)
    copy_of_tests["source"] = "print('Exercise 2 visible tests passed.')\n"
    cheat["cells"].insert(cheat["cells"].index(tests), copy_of_tests)
    cheat["cells"].remove(tests)
    hand_in("copied_test_cell", cheat, 15)
    deleted = ref()
    deleted["cells"] = [c for c in deleted["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "ex1_tests"]
    hand_in("deleted_test_cell", deleted, 20)
    no_setup = ref()
    no_setup["cells"] = [c for c in no_setup["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "setup"]
    hand_in("deleted_setup_cell", no_setup, 20)
    hand_in("edited_locked_cell", set_source(set_source(ref(), "ex4_discriminator", NO_DROPOUT_D), "ex4_tests", "pass\n"),
            16)
    hand_in("kernel_dies", set_source(ref(), "ex3_generator", "import os\nos._exit(1)\n"), 16)
    # A retry loop with a bare except swallows the grader's interrupt: the kernel has to be restarted.
    hand_in("stuck_loop", set_source(ref(), "ex1_output_size",
                                     "import time\n\n\n"
                                     "def transposed_output_size(n, kernel_size, stride=1, padding='valid'):\n"
                                     "    while True:\n        try:\n            time.sleep(0.5)\n"
                                     "        except:\n            pass\n\n\n"
                                     "transposed_output_size(1, 1)\n"), 17)
    hand_in("malformed_json", None, 0, raw='{"cells": [ {"cell_type": "code", ')
    hand_in("renamed_notebook", ref(), 20, name="week4_assignment (1).ipynb")
    huge = set_source(ref(), "ex1_output_size", "for i in range(200_000):\n    print('line', i)\n\n"
                      + "".join(reference["cells"][_index(reference, "ex1_output_size")]["source"]))
    hand_in("huge_output", huge, 20)
    hand_in("memory_hog", set_source(ref(), "ex4_discriminator",
                                     "def build_discriminator(dropout=0.3):\n"
                                     "    hoard = [np.ones(200_000_000) for _ in range(60)]\n"
                                     "    return hoard\n"), 16)
    delegate = ref()
    for gid, source in DELEGATING.items():
        set_source(delegate, gid, source)
    hand_in("delegates_to_course_lib", delegate, 4)  # only Exercise 5's steps are written by the student
    tamper = set_source(ref(), "ex5_train_step", WRONG_D_STEP + "\nnp.isclose = lambda *a, **k: True\n")
    hand_in("patches_numpy", tamper, 16)
    sneaky = insert_after(set_source(ref(), "ex5_train_step", WRONG_D_STEP), "ex5_train_step",
                          "patch = setattr\npatch(np, 'isclose', lambda *a, **k: True)\n")
    hand_in("patches_numpy_at_run_time", sneaky, 16)
    ipython = insert_after(set_source(ref(), "ex4_discriminator", NO_DROPOUT_D), "ex4_discriminator",
                           "import IPython as I\n"
                           "shell = getattr(I, 'get_' + 'ipython')()\n"
                           "shell.set_custom_exc((AssertionError,), lambda *a, **k: None)\n")
    hand_in("swallows_assertions", ipython, 16)
    return fair


def _index(nb, gid):
    return next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    course = Course(tmp_path_factory.mktemp("course"), WEEK)
    gen = course.nbgrader("generate_assignment", WEEK, "--force")
    assert gen.returncode == 0, gen.stderr
    reference = json.loads(SOURCE.read_text())
    release = json.loads((course.release_dir() / NAME).read_text())
    assert set(solution_ids(release)) >= set(DELEGATING), "the assignment's answer cells changed: update this test"
    fair = build_class(course.root, reference, release)
    # The instructor's command, as the README gives it. The cell timeout is shorter than the course's 180 s
    # (the endless loop waits for it) but generous: a busy or slow machine needs it for the setup's imports.
    grade = subprocess.run([sys.executable, "-m", "course_lib.cli", "grade", WEEK, "-j", "2", "--timeout", "90",
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
                           "memory_hog": "memory", "stuck_loop": "did not stop when interrupted",
                           "patches_numpy": "np.isclose", "delegates_to_course_lib": "reference implementation",
                           "patches_numpy_at_run_time": "numpy.isclose"}.items():
        assert re.search(rf"{student}: .*{re.escape(words)}", out), f"no note with {words!r} for {student}:\n{out}"
    rows = {r["student"]: r for r in csv.DictReader(open(course.root / "grades" / f"{WEEK}.csv"))}
    assert set(rows) == set(fair)
    assert float(rows["partial"]["ex1_tests"]) == 3 and float(rows["partial"]["ex3_tests"]) == 0
    assert float(rows["reference"]["score"]) == 20 and rows["malformed_json"]["status"] == "unreadable"


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
