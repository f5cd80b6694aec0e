"""Grade a whole class: every submission in its own worker process, in parallel, observably.

``nbgrader autograde`` grades one submission after another (nbgrader issue #174). :func:`grade_class`
(``course grade WEEK -j N``; ``make autograde`` calls it) runs nbgrader's own ``Autograde`` converter, with
the course's configuration (``nbgrader_config.py``: the fair sanitiser and the resilient executor), for each
student in a pool of worker processes. Each worker grades against a private copy of the gradebook, so
workers never contend for the database; the parent then records each result in the real gradebook with
nbgrader's own ``SaveAutoGrades`` and ``AssignLatePenalties``, exactly as a serial run would, so formgrader,
``nbgrader export`` and ``nbgrader generate_feedback`` keep working.

Before grading, a renamed notebook (``week4_assignment (1).ipynb``, the only notebook in the folder) is
copied to the name the assignment expects, and an unreadable one is recorded with a zero and its reason
instead of stopping anyone else's grading.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from course_lib.runtime import share_cores

# The errors that say why a test cell scored zero, in the words students and instructors read.
_EXPLAINED = {"KernelDied", "KernelStuck", "NotRun", "TamperingError", "DelegationError", "CellTimeoutError", "NotImplementedError"}


@dataclasses.dataclass
class StudentResult:
    student: str
    status: str = "graded"  # graded | unreadable | failed
    seconds: float = 0.0
    score: float = 0.0
    max_score: float = 0.0
    per_cell: dict = dataclasses.field(default_factory=dict)  # grade cell -> (score, max)
    notes: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ClassReport:
    assignment: str
    jobs: int
    seconds: float
    results: list
    csv_path: Path | None = None

    @property
    def per_submission_s(self) -> float:
        return sum(r.seconds for r in self.results) / max(len(self.results), 1)


def load_config(course_dir: Path):
    """The course's nbgrader configuration (``nbgrader_config.py`` in ``course_dir``)."""
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(course_dir) / "nbgrader_config.py"
    if not path.is_file():
        raise FileNotFoundError(f"no nbgrader_config.py in {Path(course_dir).resolve()}: run this from the course "
                                "directory (the repository root), or pass --course-dir")
    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    config.CourseDirectory.root = str(Path(course_dir).resolve())
    return config


def _coursedir(config):
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=config)


def _expected_notebooks(db_url: str, assignment: str) -> list[str]:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            return [nb.name for nb in gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            raise ValueError(f"the gradebook has no assignment '{assignment}': release it first with "
                             f"`make release WEEK={assignment}` (nbgrader generate_assignment)") from None


def _prepare_folder(folder: Path, expected: list[str]) -> tuple[list[str], list[str]]:
    """Fix a renamed notebook; return (notes, unreadable notebook names)."""
    import nbformat

    notes, unreadable = [], []
    present = {p.name for p in folder.glob("*.ipynb")}
    for name in expected:
        wanted = f"{name}.ipynb"
        others = sorted(present - {f"{n}.ipynb" for n in expected})
        if wanted not in present and len(others) == 1:
            shutil.copy(folder / others[0], folder / wanted)
            present.add(wanted)
            notes.append(f"the notebook was renamed '{others[0]}': graded as '{wanted}'")
        if wanted not in present:
            notes.append(f"no '{wanted}' was submitted: it scores zero")
            continue
        try:
            nbformat.read(folder / wanted, as_version=4)
        except Exception as err:  # noqa: BLE001 - any unreadable file is the student's, and scores zero
            unreadable.append(name)
            notes.append(f"'{wanted}' is not a readable notebook ({type(err).__name__}: {str(err)[:120]}): "
                         "it scores zero")
    return notes, unreadable


# -- the worker ----------------------------------------------------------------------------------------
def _worker_init(jobs: int, log_dir: str) -> None:
    # Kernels and nbgrader write warnings to stderr; keep them in a log, not on the instructor's screen.
    log = open(Path(log_dir) / f"worker-{os.getpid()}.log", "ab", buffering=0)
    os.dup2(log.fileno(), 2)
    share_cores(jobs)  # each kernel gets its share of the cores
    os.environ["MPLBACKEND"] = "Agg"


def _grade_one(course_dir: str, assignment: str, student: str, db_copy: str, overrides: dict, log_dir: str) -> dict:
    """Run nbgrader's Autograde for one student against a private gradebook copy (in a worker process).
    nbgrader's log for the student goes to ``log_dir/<student>.log``."""
    from nbgrader.converters import Autograde
    from nbgrader.converters.base import NbGraderException

    from course_lib.grading import sanitize

    config = load_config(Path(course_dir))
    config.CourseDirectory.db_url = f"sqlite:///{db_copy}"
    config.CourseDirectory.student_id = student
    config.CourseDirectory.assignment_id = assignment
    config.BaseConverter.force = True
    for section, values in overrides.items():
        for key, value in values.items():
            config[section][key] = value
    log = logging.getLogger(f"course.grade.{student}")
    log.propagate = False
    log.setLevel(logging.INFO)
    handler = logging.FileHandler(Path(log_dir) / f"{student}.log", mode="w")
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log.addHandler(handler)
    sanitize.EVENTS.clear()
    start = time.monotonic()
    error = None
    try:
        Autograde(coursedir=_coursedir(config), config=config, log=log).start()
    except NbGraderException:
        error = _last_error(Path(log_dir) / f"{student}.log")
    except Exception as err:  # noqa: BLE001 - one broken submission must not stop the class
        log.exception("grading failed")
        error = f"{type(err).__name__}: {err}"
    finally:
        handler.close()
        log.removeHandler(handler)
    return {"student": student, "seconds": time.monotonic() - start, "error": error,
            "events": [e["detail"] for e in sanitize.EVENTS]}


def _last_error(log_file: Path) -> str:
    """The last exception line of a traceback in nbgrader's log (what actually went wrong)."""
    lines = log_file.read_text(errors="replace").splitlines()
    errors = [line.strip() for line in lines if re.match(r"\s*[\w.]+(Error|Exception)\b.*:", line)]
    return (errors[-1] if errors else "see the log") + f" (log: {log_file})"


# -- the parent: record in the real gradebook --------------------------------------------------------------
def _record(config, assignment: str, student: str, expected: list[str], graded: bool) -> None:
    """Write one student's scores into the course gradebook, as nbgrader's autograde would."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
    import nbformat

    warnings.filterwarnings("ignore", module="nbgrader.api")  # SQLAlchemy's autoflush notes on new rows
    coursedir = _coursedir(config)
    submitted = coursedir.format_path(coursedir.submitted_directory, student, assignment)
    timestamp = coursedir.get_existing_timestamp(submitted)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        gb.update_or_create_student(student)
        if timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    for name in expected:
        path = autograded / f"{name}.ipynb"
        if graded and path.is_file():
            nb = nbformat.read(path, as_version=4)
            resources = {"nbgrader": {"notebook": name, "assignment": assignment, "student": student,
                                      "db_url": coursedir.db_url}}
            for step in (SaveAutoGrades, AssignLatePenalties):
                nb, resources = step(config=config).preprocess(nb, resources)
        else:  # unreadable or missing: zero, and nothing left for a human to grade, like nbgrader's own
            with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
                for grade in gb.find_submission_notebook(name, assignment, student).grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
                gb.db.commit()


def _scores(config, assignment: str, student: str) -> tuple[dict, float, float]:
    from nbgrader.api import Gradebook

    coursedir = _coursedir(config)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        submission = gb.find_submission(assignment, student)
        per_cell = {}
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                per_cell[grade.name] = (float(grade.score or 0), float(grade.max_score))
        return per_cell, float(submission.score or 0), float(submission.max_score)


def _cell_notes(config, assignment: str, student: str, expected: list[str]) -> list[str]:
    """Why test cells failed, read from the graded notebook: the error name and its first words."""
    import nbformat

    coursedir = _coursedir(config)
    notes = []
    for name in expected:
        path = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment)) / f"{name}.ipynb"
        if not path.is_file():
            continue
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error" and (meta.get("grade") or out.get("ename") in _EXPLAINED):
                    where = meta.get("grade_id") or "a student cell"
                    notes.append(f"{where}: {out.get('ename')}: {str(out.get('evalue', ''))[:160]}".rstrip(": "))
    return notes


def _students(coursedir, assignment: str, only: list[str] | None) -> list[str]:
    root = Path(coursedir.root) / coursedir.submitted_directory
    found = sorted(p.parent.name for p in root.glob(f"*/{assignment}") if p.is_dir())
    if only:
        missing = sorted(set(only) - set(found))
        if missing:
            raise ValueError(f"no submission of {assignment} for: {', '.join(missing)} (looked in {root})")
        found = [s for s in found if s in only]
    if not found:
        raise ValueError(f"no submissions found in {root}/<student>/{assignment}/: collect them first "
                         "(nbgrader collect, or copy each student's folder there)")
    return found


def grade_class(assignment: str, *, course_dir: str | Path = ".", jobs: int | None = None,
                students: list[str] | None = None, timeout: int | None = None,
                memory_limit_gb: float | None = None, csv_path: str | Path | None = None,
                progress: bool = True) -> ClassReport:
    """Autograde every submission of ``assignment`` in parallel; return the per-student results.

    ``jobs``: worker processes (default: the number of CPUs). ``timeout``: seconds per cell (default: the
    course's ``Execute.timeout``). ``memory_limit_gb``: per kernel (default: a fair share of this machine).
    ``csv_path``: per-exercise scores (default ``grades/<assignment>.csv`` in the course directory).
    """
    import psutil
    from tqdm.auto import tqdm

    course_dir = Path(course_dir).resolve()
    config = load_config(course_dir)
    coursedir = _coursedir(config)
    expected = _expected_notebooks(coursedir.db_url, assignment)
    names = _students(coursedir, assignment, students)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(names)))
    total_gb = psutil.virtual_memory().total / 2**30
    overrides = {"ResilientExecute": {"memory_limit_gb": memory_limit_gb or round(min(total_gb / 4, 0.6 * total_gb / jobs), 1)}}
    if timeout:
        overrides["Execute"] = {"timeout": int(timeout)}
    results = {name: StudentResult(name) for name in names}
    pending = []
    for name in names:
        notes, unreadable = _prepare_folder(Path(coursedir.format_path(coursedir.submitted_directory, name, assignment)),
                                            expected)
        results[name].notes += notes
        if unreadable:
            results[name].status = "unreadable"
        else:
            pending.append(name)
    start = time.monotonic()
    db_file = Path(coursedir.db_url.removeprefix("sqlite:///"))
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        copies = {}
        for name in pending:  # copied before any worker starts and before the parent writes
            copies[name] = str(Path(scratch) / f"{name}.db")
            shutil.copy(db_file, copies[name])
        bar = tqdm(total=len(names), desc=f"grading {assignment}", unit="submission", disable=not progress)
        for name in names:
            if results[name].status == "unreadable":
                _record(config, assignment, name, expected, graded=False)
                bar.update(1)
        log_dir = course_dir / "grades" / "logs" / assignment
        log_dir.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_worker_init,
                                 initargs=(jobs, str(log_dir))) as pool:
            futures = [pool.submit(_grade_one, str(course_dir), assignment, name, copies[name], overrides,
                                   str(log_dir)) for name in pending]
            for future in as_completed(futures):
                outcome = future.result()
                result = results[outcome["student"]]
                result.seconds = outcome["seconds"]
                result.notes += outcome["events"]
                if outcome["error"]:
                    result.status = "failed"
                    result.notes.append(f"nbgrader could not grade it: {outcome['error']}")
                _record(config, assignment, result.student, expected, graded=not outcome["error"])
                bar.update(1)
                bar.set_postfix_str(f"last: {result.student}")
        bar.close()
    for result in results.values():
        result.per_cell, result.score, result.max_score = _scores(config, assignment, result.student)
        result.notes += _cell_notes(config, assignment, result.student, expected)
    report = ClassReport(assignment, jobs, time.monotonic() - start, [results[n] for n in names])
    report.csv_path = write_csv(report, Path(csv_path) if csv_path else course_dir / "grades" / f"{assignment}.csv")
    return report


def write_csv(report: ClassReport, path: Path) -> Path:
    """One row per student: status, total, every graded cell's score, seconds and notes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = list(report.results[0].per_cell) if report.results else []
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "status", "score", "max_score", *cells, "seconds", "notes"])
        for r in report.results:
            writer.writerow([r.student, r.status, r.score, r.max_score,
                             *[r.per_cell.get(c, (0, 0))[0] for c in cells], f"{r.seconds:.1f}", " | ".join(r.notes)])
    return path


def summary(report: ClassReport) -> str:
    """The instructor's overview: scores, time per student, and what went wrong for whom."""
    lines = [f"Graded {len(report.results)} submissions of {report.assignment} in {report.seconds:.0f} s with "
             f"{report.jobs} worker{'s' if report.jobs > 1 else ''} ({report.per_submission_s:.1f} s of grading per "
             "submission)."]
    width = max([len(r.student) for r in report.results] + [7])
    lines.append(f"{'student':<{width}}  {'score':>9}  {'time':>6}  status")
    for r in report.results:
        lines.append(f"{r.student:<{width}}  {r.score:>4g}/{r.max_score:<4g}  {r.seconds:>5.1f}s  {r.status}")
    troubled = [r for r in report.results if r.notes]
    if troubled:
        lines.append("")
        lines.append("What happened (the feedback shows the students the same messages):")
        for r in troubled:
            for note in r.notes:
                lines.append(f"  {r.student}: {note}")
    if report.csv_path:
        lines.append("")
        lines.append(f"Per-exercise scores: {report.csv_path}. The gradebook is updated for formgrader, "
                     "`nbgrader export` and `make feedback`.")
    return "\n".join(lines)


def to_json(report: ClassReport) -> str:
    return json.dumps({"assignment": report.assignment, "jobs": report.jobs, "seconds": report.seconds,
                       "results": [dataclasses.asdict(r) for r in report.results]}, indent=2)
