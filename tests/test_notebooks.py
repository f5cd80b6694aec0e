"""Execute every course notebook top to bottom with a real python3 kernel, in quick mode."""
import json
import shutil
import time

import nbformat
import pytest
from nbclient import NotebookClient

from course_files import DEFAULT_BUDGET_S, REPO, course_notebooks, notebook_id

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
    # Run a copy of the whole week folder, so files the notebook writes stay out of the repo.
    workdir = tmp_path / path.parent.name
    shutil.copytree(path.parent, workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    nb = nbformat.read(workdir / path.name, as_version=4)
    budget = nb.metadata.get("course", {}).get("quick_budget_s", DEFAULT_BUDGET_S)
    client = NotebookClient(nb, timeout=budget, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    start = time.monotonic()
    client.execute()
    elapsed = time.monotonic() - start
    assert elapsed < budget, f"{path.name} took {elapsed:.0f}s in quick mode; its budget is {budget}s"
