"""The set-up cell that opens every course notebook, and ``REPO_URL``, the one place the course's address is set.

A notebook opened on Colab has no course installed, so its first cell cannot import ``course_lib``
to learn where to install it from: the cell's text is kept here, the address written into it, and
copied into each notebook. ``tests/test_notebooks.py`` checks that every course notebook holds exactly
this text. After changing ``REPO_URL``, update the notebooks with::

    python -m course_lib.colab week*/*.ipynb final_text2image/*.ipynb

The cell installs the course on Colab (once per runtime) and does nothing else there; on any machine
it then prints the run mode, why it was chosen and how to switch (``course_lib.print_mode``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

REPO_URL = "https://github.com/gans-creative-course/gans-creative-course"
# Where Colab keeps the clone: outside the notebook's folder, so re-running the cell finds it.
COLAB_COURSE_DIR = "/content/gans-creative-course"
# The grade_id the graded notebooks give the cell (locked, worth no points).
SETUP_GRADE_ID = "colab_setup"

_FIRST_LINE = "# Set-up. On Colab this installs the course from REPO_URL (set in one place: course_lib/colab.py);"
_TEMPLATE = _FIRST_LINE + '''
# elsewhere the course must be installed already. Then it prints the run mode and how to switch.
import sys

REPO_URL = "{repo_url}"
if "google.colab" in sys.modules:
    import os, subprocess
    COURSE_DIR = "{course_dir}"
    if not os.path.isdir(COURSE_DIR):  # once per Colab runtime
        subprocess.run(["git", "clone", "--quiet", "--depth=1", REPO_URL, COURSE_DIR], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", COURSE_DIR], check=True)
    sys.path.insert(0, COURSE_DIR)
    os.environ["COURSE_ALLOW_DOWNLOAD"] = "1"  # Colab is online: full MNIST may be downloaded
try:
    import course_lib as cl
except ModuleNotFoundError:
    raise ModuleNotFoundError(f"course_lib is not installed here: run `pip install -e .` in a copy of {{REPO_URL}}, "
                              "then restart the kernel") from None
cl.print_mode()'''


def setup_cell_source(repo_url: str = REPO_URL, course_dir: str = COLAB_COURSE_DIR) -> str:
    """The set-up cell's source, with ``repo_url`` (and the clone's folder on Colab) written in."""
    if not isinstance(repo_url, str) or not repo_url.startswith(("https://", "git@")) or '"' in repo_url:
        raise ValueError(f"REPO_URL should be a git address such as https://github.com/OWNER/NAME, got {repo_url!r}")
    return _TEMPLATE.format(repo_url=repo_url, course_dir=course_dir)


def setup_cell(*, grade_id: str | None = None, repo_url: str = REPO_URL):
    """A new code cell holding the set-up; with ``grade_id`` (``SETUP_GRADE_ID`` in the assignments), a locked
    nbgrader cell worth no points."""
    from nbformat.v4 import new_code_cell

    metadata = {}
    if grade_id is not None:
        metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3,
                                "solution": False, "task": False}
    return new_code_cell(setup_cell_source(repo_url), metadata=metadata)


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def is_setup_cell(cell) -> bool:
    """Whether ``cell`` is a set-up cell: this one, an older version of it, or one graded as ``SETUP_GRADE_ID``."""
    if cell.get("cell_type") != "code":
        return False
    source = _source(cell)
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    # An older set-up cell installed from REPO_URL on Colab; other cells may test for Colab too (the app's share link).
    older = '"google.colab" in sys.modules' in source and "REPO_URL" in source
    return grade_id == SETUP_GRADE_ID or source.startswith(_FIRST_LINE) or older


def setup_cell_indices(nb) -> list[int]:
    """Positions of the set-up cells in a notebook (nbformat node or the JSON dict)."""
    return [i for i, cell in enumerate(nb["cells"]) if is_setup_cell(cell)]


def install_setup_cell(nb, *, grade_id: str | None = None, repo_url: str = REPO_URL) -> bool:
    """Make the notebook's first code cell the set-up cell: an existing set-up cell is rewritten and moved
    there, otherwise one is inserted before the first code cell. Returns whether anything changed."""
    cells = nb["cells"]
    found = setup_cell_indices(nb)
    first_code = next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"), len(cells))
    if found == [first_code] and _source(cells[first_code]) == setup_cell_source(repo_url):
        grade_id_now = cells[first_code].get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in (None, grade_id_now):
            return False
    new = setup_cell(grade_id=grade_id, repo_url=repo_url)
    if found and grade_id is None:  # keep the old cell's metadata (an assignment's nbgrader entry, say)
        new["metadata"] = cells[found[0]].get("metadata", {})
    for index in reversed(found):
        del cells[index]
    first_code = next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"), len(cells))
    cells.insert(first_code, new)
    return True


def _main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.colab",
                                     description="Put the course's set-up cell first in each notebook.")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--grade-id", help=f"make it a locked nbgrader cell (the assignments use {SETUP_GRADE_ID!r})")
    args = parser.parse_args(argv)
    import nbformat

    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        if install_setup_cell(nb, grade_id=args.grade_id):
            nbformat.write(nb, path)
            print(f"updated   {path}")
        else:
            print(f"unchanged {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
