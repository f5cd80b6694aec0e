"""course_lib.colab: the set-up cell's text (REPO_URL in one place) and putting it first in a notebook."""
import ast
import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_lib import colab


def test_the_cell_is_python_and_holds_repo_url_once():
    source = colab.setup_cell_source()
    tree = ast.parse(source)  # plain Python, no IPython magic: the grader's static check reads it too
    assigned = [node for node in ast.walk(tree) if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "REPO_URL" for t in node.targets)]
    assert len(assigned) == 1 and assigned[0].value.value == colab.REPO_URL
    assert source.count(colab.REPO_URL) == 1
    assert source.rstrip().endswith("cl.print_mode()")


def test_another_address_is_written_in(tmp_path):
    source = colab.setup_cell_source("https://github.com/someone/fork")
    assert 'REPO_URL = "https://github.com/someone/fork"' in source and colab.REPO_URL not in source


@pytest.mark.parametrize("bad", ["", "github.com/x/y", 'https://x/"; import os; "', None, 42])
def test_bad_addresses_are_refused(bad):
    with pytest.raises(ValueError, match="REPO_URL should be a git address"):
        colab.setup_cell_source(bad)


def _run(source: str, env_extra: dict, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_MODE", "NBGRADER_EXECUTION")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", source], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_off_colab_it_installs_nothing_and_prints_the_mode(tmp_path):
    source = colab.setup_cell_source() + "\nprint(sorted(n for n in dir() if not n.startswith('_')))"
    done = _run(source, {"COURSE_QUICK": "1"}, tmp_path)
    assert done.returncode == 0, done.stderr
    line, names = done.stdout.strip().splitlines()
    assert line.startswith("Quick mode (COURSE_QUICK=1 is set)")
    # few names, so the cell barely touches a graded notebook's namespace; nothing cloned here
    assert names == "['REPO_URL', 'cl', 'sys']" and not any(tmp_path.iterdir())


def test_without_the_course_installed_the_error_says_what_to_do(tmp_path):
    source = "import sys; sys.modules['course_lib'] = None\n" + colab.setup_cell_source()
    done = _run(source, {}, tmp_path)
    assert done.returncode != 0
    assert "course_lib is not installed here: run `pip install -e .`" in done.stderr
    assert colab.REPO_URL in done.stderr


def _notebook(*cells):
    return new_notebook(cells=list(cells))


def test_install_inserts_it_before_the_first_code_cell_once():
    nb = _notebook(new_markdown_cell("# Title"), new_markdown_cell("## Setup"), new_code_cell("import numpy"))
    assert colab.install_setup_cell(nb) is True
    assert [c.cell_type for c in nb.cells] == ["markdown", "markdown", "code", "code"]
    assert nb.cells[2].source == colab.setup_cell_source() and nb.cells[3].source == "import numpy"
    assert colab.install_setup_cell(nb) is False  # already there: nothing changes
    assert colab.setup_cell_indices(nb) == [2]


def test_install_replaces_an_old_colab_cell_and_moves_it_first():
    old = new_code_cell('import os, sys\nREPO_URL = "https://old.example/repo"\nif "google.colab" in sys.modules:\n    pass')
    app = new_code_cell('on_colab = "google.colab" in sys.modules\napp = launch(RUN_DIR, share=on_colab)')
    nb = _notebook(new_code_cell("x = 1"), new_markdown_cell("text"), old, app)
    assert colab.install_setup_cell(nb) is True
    assert nb.cells[0].source == colab.setup_cell_source()
    assert [c.source for c in nb.cells[1:]] == ["x = 1", "text", app.source], "a cell that only tests for Colab stays"


def test_graded_version_is_a_locked_cell_and_keeps_its_metadata_on_update():
    nb = _notebook(new_markdown_cell("intro"), new_code_cell("setup()"))
    assert colab.install_setup_cell(nb, grade_id=colab.SETUP_GRADE_ID)
    meta = nb.cells[1].metadata["nbgrader"]
    assert meta["grade_id"] == "colab_setup" and meta["locked"] and not meta["grade"] and not meta["solution"]
    nb.cells[1].source = nb.cells[1].source.replace(colab.REPO_URL, "https://old.example/repo")
    assert colab.install_setup_cell(nb)  # the address changed: rewritten, still locked and graded as before
    assert nb.cells[1].source == colab.setup_cell_source() and nb.cells[1].metadata["nbgrader"] == meta
    nbformat.validate(nb)


def test_command_line_updates_notebooks_in_place(tmp_path, capsys):
    path = tmp_path / "lecture.ipynb"
    nbformat.write(_notebook(new_code_cell("print(1)")), path)
    assert colab._main([str(path)]) == 0 and colab._main([str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"updated   {path}", f"unchanged {path}"]
    assert nbformat.read(path, as_version=4).cells[0].source == colab.setup_cell_source()
