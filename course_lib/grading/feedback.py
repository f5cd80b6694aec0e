"""Feedback that tells a student what failed without handing them the hidden tests.

nbgrader's feedback shows each graded cell as it ran: the hidden tests' code, and tracebacks that quote
those lines (nbgrader issues #917 and #1363). With the code in hand, next year's class can fit answers to
the tests. :class:`HideHiddenTests` runs first in ``GenerateFeedback.preprocessors``
(``nbgrader_config.py``) and, in every graded cell,

* replaces the hidden region with one comment line;
* shortens every error to its type and message (``AssertionError: the output should be in [-1, 1]``), so
  a failed hidden test still says what is wrong, in the words its author wrote for students.

Pass or fail and the points of each cell are untouched: the feedback template reads them from the gradebook.
"""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

HIDDEN_NOTE = "# (hidden tests ran here; they are not shown)"


def strip_hidden_region(source: str, begin: str, end: str) -> str:
    kept, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
            kept.append(HIDDEN_NOTE)
        elif end in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden-test code and tracebacks from graded cells; see the module documentation."""

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_test_delimeter = Unicode("END HIDDEN TESTS").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        nbgrader = cell.metadata.get("nbgrader", {})
        if not (nbgrader.get("grade") or nbgrader.get("locked")):
            return cell, resources
        cell.source = strip_hidden_region(cell.source, self.begin_test_delimeter, self.end_test_delimeter)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
                output.traceback = [message]
        return cell, resources
