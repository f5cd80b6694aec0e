"""Grading an assignment fairly: the student's own work, checked against the libraries as shipped.

Assignments use :class:`Checker` (in their locked setup cell and test cells). The instructor's side, which
imports nbgrader, lives in submodules that notebooks never import: ``static_check`` (reading a student's
cell before it runs), ``sanitize``, ``execute`` and ``feedback`` (nbgrader preprocessors, configured in
``nbgrader_config.py``) and ``classroom`` (``course grade``: a whole class, in parallel).
"""
from course_lib.grading.checks import Checker, DelegationError, TamperingError

__all__ = ["Checker", "DelegationError", "TamperingError"]
