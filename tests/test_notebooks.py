"""Execute every course notebook top to bottom with a real python3 kernel, in quick mode.

No test here times a notebook: machines differ several-fold in speed, so a wall-time budget fails
on a slow machine while nothing is wrong and hides a real slowdown on a fast one. A cell only has a
generous hang guard (``CELL_HANG_GUARD_S``); ``bench/notebook_times.py`` measures each notebook in
seconds and in reference epochs.
"""
import json

import pytest

from course_files import course_notebooks, execute_notebook, notebook_id

NOTEBOOKS = course_notebooks()


def test_the_course_has_notebooks():
    assert any(p.parent.name == "week1_python" for p in NOTEBOOKS), "week 1 notebooks are missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; strip them before committing"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_runs_in_quick_mode(path, tmp_path, quick_env):
    execute_notebook(path, tmp_path)  # a cell that raises fails the test with its traceback (CellExecutionError)
