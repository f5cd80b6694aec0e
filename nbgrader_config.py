"""nbgrader configuration for the course.

The repository root is the nbgrader course directory. Each week folder is one
assignment's source (``nbgrader generate_assignment week1_python``), and the
graded notebook in it is the one whose name contains ``assignment``; lecture
notebooks sit beside it and are copied into the release untouched.

Generated, git-ignored parts: release/, submitted/, autograded/, feedback/,
grades/, gradebook.db (and nbgrader's exchange, wherever the instructor puts it).

Grading is made fair through nbgrader's own extension points (course_lib.grading):
``RestoreSubmission`` rebuilds each submission on the assignment's cells first,
``ResilientExecute`` survives a dying kernel, and ``HideHiddenTests`` keeps the
hidden tests out of feedback. ``course grade WEEK -j N`` runs the same pipeline
for a whole class in parallel; plain ``nbgrader autograde`` runs it serially.
"""
import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades, IgnorePattern, LimitOutput,
    OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

from course_lib.grading.execute import ResilientExecute
from course_lib.grading.feedback import HideHiddenTests
from course_lib.grading.sanitize import RestoreSubmission

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "gans-creative"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "."  # the week folders themselves
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")
# Only the graded notebook of each week goes through nbgrader's converters.
c.CourseDirectory.notebook_id = "*assignment*"
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "runs", "*.png", "*.npz", "*.keras",
]

# nbgrader's pipelines, with the course's fair steps in front (see the module docstrings).
c.Autograde.sanitize_preprocessors = [
    RestoreSubmission, ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
c.Autograde.autograde_preprocessors = [
    ResilientExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
    CheckCellMetadata]
c.GenerateFeedback.preprocessors = [HideHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]

# Grading executes notebooks with the course kernel; NBGRADER_EXECUTION makes
# course_lib run in quick mode. A cell that runs longer than this is
# interrupted and scores zero, so an infinite loop cannot stall grading.
c.Execute.kernel_name = "python3"
c.Execute.timeout = 180
c.Execute.interrupt_on_timeout = True
# After a cell's reply, nbclient waits for its last outputs; on a busy machine 4 s (the default) is not
# enough, and nbgrader would then fail the whole notebook. Late outputs are waited for, never fatal.
c.Execute.iopub_timeout = 30
c.Execute.raise_on_iopub_timeout = False
# Huge output (a print in a loop) is cut, so a notebook's feedback stays readable.
c.LimitOutput.max_lines = 1000

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
