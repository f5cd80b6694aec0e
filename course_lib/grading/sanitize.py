"""Rebuild a submitted notebook on the assignment's own cells before nbgrader grades it.

A class hands in notebooks in every state. nbgrader's own sanitising restores the source of an edited
locked cell, but three cases still go wrong (nbgrader issue #1083 and its relatives):

* a copied or duplicated graded cell (two cells share a ``grade_id``): nbgrader blanks the copy's metadata,
  then refuses the blanked cell as "old metadata format" and aborts the whole batch;
* a deleted locked cell (a test, the setup) is not put back, so its points are lost although the answer
  is right, or every later cell fails;
* a cell that rebinds what the tests rely on runs unchecked.

:class:`RestoreSubmission` runs first in ``Autograde.sanitize_preprocessors`` (``nbgrader_config.py``).
It lays the notebook out in the order of the assignment's source notebook: one copy of every locked and
graded cell (a deleted one restored from the gradebook), the student's last copy of each answer cell
(a deleted answer becomes the release's stub), and every cell the student added, after the assignment cell
it followed (but never before the setup cell). A student cell that changes the grading environment
(:func:`course_lib.grading.static_check.find_tampering`) is kept as a comment and replaced by a ``raise``
that says why, so it costs that cell's exercise and nothing else. What it did is logged and appended to
:data:`EVENTS`, which ``course grade`` reports per student.
"""
from __future__ import annotations

import copy
import os

import nbformat
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from course_lib.grading.static_check import find_tampering, free_names, top_level_bindings

# What was done to each graded notebook in this process: dicts with student, notebook, kind, detail.
EVENTS: list[dict] = []


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_locked_code(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("locked")) and not meta.get("solution")


def neutralised_source(source: str, findings) -> str:
    """The source that replaces a tampering cell: the reasons, the student's code as comments, a raise."""
    reasons = "; ".join(str(f) for f in findings[:3])
    lines = ["# The grader did not run this cell: it changes what the tests rely on.",
             *[f"#   {f}" for f in findings],
             "# Your code is kept below as comments.",
             *[f"# {line}" for line in source.splitlines()],
             "from course_lib.grading import TamperingError",
             f"raise TamperingError({('The grader did not run this cell: ' + reasons)!r})"]
    return "\n".join(lines)


class RestoreSubmission(NbGraderPreprocessor):
    """Lay a submission out on the assignment's cells; see the module documentation."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self._student = info.get("student")
        self._notebook = info["notebook"]
        source = self._source_notebook(info["assignment"], info["notebook"])
        with Gradebook(info["db_url"]) as gb:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
            recorded = {c.name: c.source for c in notebook.source_cells}
            editable = {c.name for c in notebook.solution_cells}
        if source is None:  # no source notebook to order by: keep the student's order, still checked
            canonical = [c for c in nb.cells if _grade_id(c) in recorded]
        else:
            canonical = [c for c in source.cells if _grade_id(c) in recorded]
        # The assignment's own unlocked cells (a demo loop, an example), as shipped, are not the student's.
        shipped = {c.source for c in (source.cells if source is not None else [])
                   if c.cell_type == "code" and _grade_id(c) is None}
        nb.cells = self._rebuild(nb.cells, canonical, recorded, editable)
        nb.cells = self._neutralise_tampering(nb.cells, editable, shipped)
        return nb, resources

    def _event(self, kind: str, detail: str) -> None:
        EVENTS.append({"student": self._student, "notebook": self._notebook, "kind": kind, "detail": detail})
        self.log.warning("%s: %s", kind, detail)

    def _source_notebook(self, assignment: str, notebook: str):
        coursedir = CourseDirectory(config=self.config)
        path = os.path.join(coursedir.format_path(coursedir.source_directory, ".", assignment), notebook + ".ipynb")
        if not os.path.isfile(path):
            self.log.warning("No source notebook at %s: the submission's own cell order is kept", path)
            return None
        return nbformat.read(path, as_version=4)

    def _rebuild(self, cells, canonical, recorded, editable):
        ids = [_grade_id(c) for c in canonical]
        last_copy = {}
        for index, cell in enumerate(cells):
            if _grade_id(cell) in editable:
                last_copy[_grade_id(cell)] = index
        kept, after = {}, {gid: [] for gid in ids}
        anchor = None
        before_setup: list = []
        for index, cell in enumerate(cells):
            gid = _grade_id(cell)
            if gid in recorded and gid not in kept and (gid not in editable or last_copy[gid] == index):
                kept[gid] = cell
                anchor = gid
                continue
            if gid in recorded and gid not in editable:
                self._event("duplicate removed", f"a second copy of the locked cell '{gid}' was dropped")
                continue
            if gid is not None:
                what = "an earlier copy of the answer cell" if gid in editable else "a cell with unknown id"
                self._event("duplicate kept as a plain cell", f"{what} '{gid}' runs, but is not graded")
            plain = copy.deepcopy(cell)
            plain.metadata.pop("nbgrader", None)
            (after[anchor] if anchor is not None else before_setup).append(plain)
        # Cells a student put above the setup run after it: the Checker must record the libraries first.
        setup = ("setup" if "setup" in ids else
                 next((gid for gid, c in zip(ids, canonical) if _is_locked_code(c)), ids[0] if ids else None))
        if setup is not None:
            after[setup] = after[setup] + before_setup
        rebuilt = []
        for gid, reference in zip(ids, canonical):
            if gid in kept:
                rebuilt.append(kept[gid])
            else:
                restored = copy.deepcopy(reference)
                restored.source = recorded[gid]  # the release's stub for an answer, the original otherwise
                if restored.cell_type == "code":
                    restored.outputs, restored.execution_count = [], None
                rebuilt.append(restored)
                self._event("restored", f"the deleted cell '{gid}' was put back"
                            + (" as the release's stub" if gid in editable else ""))
            rebuilt.extend(after[gid])
        return rebuilt

    def _neutralise_tampering(self, cells, editable, shipped):
        def locked(cell):
            return cell.cell_type == "code" and _grade_id(cell) is not None and _grade_id(cell) not in editable

        # A student may reuse a name a locked cell defined (X, net, history), unless a later locked cell reads it.
        needed_later, later = [], set()
        for cell in reversed(cells):
            needed_later.append(set(later))
            if locked(cell):
                later |= free_names(cell.source)
        needed_later.reverse()
        defined: dict[str, str | None] = {}
        for cell, needed in zip(cells, needed_later):
            if cell.cell_type != "code" or (_grade_id(cell) is None and cell.source in shipped):
                continue
            gid = _grade_id(cell)
            if locked(cell):
                defined.update(top_level_bindings(cell.source))
                continue
            protected = {n: m for n, m in defined.items() if m is not None or n in needed}
            findings = find_tampering(cell.source, protected)
            if findings:
                where = f"answer cell '{gid}'" if gid else "a cell the student added"
                self._event("not run (tampering)", f"{where}: " + "; ".join(str(f) for f in findings))
                cell.source = neutralised_source(cell.source, findings)
        return cells
