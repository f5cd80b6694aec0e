"""Where the course's notebooks and assignments live, found by globbing, so a new
notebook is tested without editing the tests."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COURSE_DIRS = [
    "week1_python",
    "week2_gradient_descent",
    "week3_cnn",
    "week4_gans",
    "week5_nlp",
    "week6_dcgan",
    "final_text2image",
]
DEFAULT_BUDGET_S = 300  # quick-mode wall time per notebook unless its metadata says otherwise


def course_notebooks() -> list[Path]:
    found = []
    for folder in COURSE_DIRS:
        found += [p for p in sorted((REPO / folder).rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    return found


def assignment_notebooks() -> list[Path]:
    """The graded source notebooks: names containing 'assignment' (see nbgrader_config.py)."""
    return [p for p in course_notebooks() if "assignment" in p.stem and p.parent.parent == REPO]


def notebook_id(path: Path) -> str:
    return str(path.relative_to(REPO))
