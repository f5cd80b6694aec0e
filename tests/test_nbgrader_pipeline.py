"""The real nbgrader pipeline on every graded assignment: release, autograde, feedback."""
import json
import subprocess
import sys
from html import unescape

import pytest

from course_files import assignment_notebooks, notebook_id
from nbgrader_course import SOLUTION_MARKERS, Course, hidden_lines, hidden_test_lines, notebook_text

ASSIGNMENTS = assignment_notebooks()
pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]


def test_every_week_with_an_assignment_is_found():
    assert any(p.parent.name == "week1_python" for p in ASSIGNMENTS)


@pytest.fixture(scope="module", params=ASSIGNMENTS, ids=notebook_id)
def graded(request, tmp_path_factory):
    """Release the assignment, then autograde the reference solution (alice) and the untouched
    release (bob) with `course grade`, and write their feedback."""
    source = request.param
    course = Course(tmp_path_factory.mktemp("course"), source.parent.name)
    gen = course.nbgrader("generate_assignment", course.week, "--force")
    assert gen.returncode == 0, gen.stdout + gen.stderr
    released = course.release_dir() / source.name
    assert released.is_file(), f"generate_assignment made no {released}\n{gen.stderr}"
    course.submit("alice", source)
    course.submit("bob", released)
    # The instructor's command (`make autograde`): both students at once, through nbgrader's own pipeline.
    auto = subprocess.run([sys.executable, "-m", "course_lib.cli", "grade", course.week, "-j", "2", "--no-progress"],
                          cwd=course.root, env=course.env(), capture_output=True, text=True, timeout=1800)
    assert auto.returncode == 0, auto.stdout + auto.stderr
    feedback = course.nbgrader("generate_feedback", course.week, "--force")
    return course, source, released, feedback


def test_release_has_no_solutions_or_hidden_tests(graded):
    course, source, released, _ = graded
    text = notebook_text(released)
    for marker in SOLUTION_MARKERS:
        assert marker not in text, f"the release still contains {marker!r}"
    leaked = [line for line in hidden_lines(source) if line in text]
    assert not leaked, f"solution or hidden-test lines leaked into the release: {leaked[:5]}"
    assert "raise NotImplementedError()" in text, "the release should hold stubs where solutions were"


def test_release_is_output_free_and_uses_python3(graded):
    _, _, released, _ = graded
    nb = json.loads(released.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert not any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_reference_solution_gets_full_marks(graded):
    course, *_ = graded
    scores = course.scores("alice")
    assert scores["auto_max"] > 0, "the assignment has no auto-graded points"
    lost = {k: v for k, v in scores["per_cell"].items() if v[0] != v[1]}
    assert scores["auto_score"] == scores["auto_max"], f"the reference solution lost points: {lost}"


def test_untouched_release_gets_zero(graded):
    course, *_ = graded
    scores = course.scores("bob")
    earned = {k: v for k, v in scores["per_cell"].items() if v[0]}
    assert scores["auto_score"] == 0, f"an untouched release earned points: {earned}"


def test_feedback_is_generated_and_shows_no_hidden_test(graded):
    from bs4 import BeautifulSoup

    course, source, _, feedback = graded
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    hidden = hidden_test_lines(source)
    for student in ("alice", "bob"):
        html = course.root / "feedback" / student / course.week / (source.stem + ".html")
        assert html.is_file(), f"no feedback for {student}"
        text = unescape(BeautifulSoup(html.read_text(), "html.parser").get_text())
        assert "Score" in text or "score" in text
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback shows hidden tests: {leaked[:3]}"
