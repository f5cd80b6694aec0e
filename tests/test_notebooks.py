"""Execute every lecture notebook top to bottom with a real python3 kernel, in quick mode, and check that every
course notebook opens with the set-up cell (course_lib.colab) that prints the run mode.

The graded notebooks run in tests/test_nbgrader_pipeline.py instead, as students get them: released by
nbgrader, answered, handed in and graded in a folder outside the repository, so this file does not run them
again. A week's lecture notebooks run in order in one copy of the week's folder, as a student works through it.

No test here times a notebook: machines differ several-fold in speed, so a wall-time budget fails
on a slow machine while nothing is wrong and hides a real slowdown on a fast one. A cell only has a
generous hang guard (``CELL_HANG_GUARD_S``); ``bench/notebook_times.py`` measures each notebook in
seconds and in reference epochs.
"""
import json

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_notebook

from course_files import (REPO, assignment_notebooks, course_notebooks, execute_notebook, lecture_notebooks,
                          notebook_id)
from course_lib import colab

NOTEBOOKS = course_notebooks()
LECTURES = lecture_notebooks()
def _code_cells(nb) -> list:
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def _text_output(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("output_type") == "stream")


def test_the_course_has_notebooks():
    assert any(p.parent.name == "week1_python" for p in NOTEBOOKS), "week 1 notebooks are missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; strip them before committing"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_first_code_cell_is_the_setup_cell(path):
    nb = json.loads(path.read_text())
    first = _code_cells(nb)[0]
    where = nb["cells"].index(first)
    assert colab.setup_cell_indices(nb) == [where], (
        f"{path.name}: the set-up cell should be the first code cell, and the only one; "
        f"run `python -m course_lib.colab {notebook_id(path)}`")
    assert "".join(first["source"]) == colab.setup_cell_source(), (
        f"{path.name}: the set-up cell differs from course_lib.colab's; run `python -m course_lib.colab {notebook_id(path)}`")
    if "assignment" in path.stem:
        meta = first["metadata"].get("nbgrader", {})
        assert meta.get("grade_id") == colab.SETUP_GRADE_ID and meta.get("locked") and not meta.get("grade"), (
            f"{path.name}: the set-up cell should be a locked nbgrader cell with grade_id {colab.SETUP_GRADE_ID!r}")


@pytest.mark.notebook
def test_setup_cell_chooses_the_mode_by_this_machine_in_a_kernel(tmp_path, quick_env, monkeypatch):
    """Auto mode, in a real kernel: quick on a CPU-only machine, full where TensorFlow sees a GPU, said in one line."""
    import tensorflow as tf

    monkeypatch.delenv("COURSE_QUICK")
    nb = new_notebook(cells=[colab.setup_cell()])
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    line = _text_output(nb.cells[0]).strip()
    expected = "Full mode (GPU found" if tf.config.list_physical_devices("GPU") else "Quick mode (no GPU found)"
    assert line.startswith(expected) and len(line.splitlines()) == 1, line


@pytest.fixture(scope="session")
def student_copy(tmp_path_factory):
    """A student's copy of the course: each week's notebooks run one after another in one folder, so a notebook
    that reuses an earlier one's run (Week 6's `03_judging_gans` reuses `02_dcgan`'s) finds it, as it does for a
    student who works through the week. Each week is one xdist group: its notebooks run in order in one worker."""
    return tmp_path_factory.mktemp("course")


@pytest.mark.notebook
@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.xdist_group(f"notebooks-{p.parent.name}"))
                                  for p in LECTURES], ids=notebook_id)
def test_notebook_runs_in_quick_mode(path, student_copy, quick_env):
    nb = execute_notebook(path, student_copy)  # a cell that raises fails the test with its traceback
    first = _code_cells(nb)[0]
    if colab.is_setup_cell(first):
        assert _text_output(first).startswith("Quick mode (COURSE_QUICK=1 is set)"), (
            f"the first cell should print the run mode, got {_text_output(first)[:200]!r}")
