"""How long grading takes: a class in parallel against nbgrader's serial autograde, and each week per submission.

    python bench/bench_grading.py                       # both parts (about 15 minutes on 2 CPU cores)
    python bench/bench_grading.py --class-only --week week4_gans --students 8
    python bench/bench_grading.py --weeks-only

Part 1 builds one class (``--students`` copies of the reference solution, as in a class that did the work)
in two throw-away course directories and grades it there twice: with ``nbgrader autograde`` (one
submission after another, the course's own configuration) and with ``course grade -j N``. It checks
that both gave every student the same score and prints the two times and the speedup (target on 2 cores:
at least 1.7x).

Part 2 grades the reference solution of every week's assignment alone and prints the time per
submission (target: the slowest week at most 0.15 reference epoch).

Every time is printed in seconds and in reference epochs of this machine, measured in the same run by
``../shared/machine_speed.py`` (see ``bench/reference_epoch.py``).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from reference_epoch import REPO, describe, in_reference_epochs, measure_reference_epoch  # noqa: E402

WEEKS = ["week1_python", "week2_gradient_descent", "week3_cnn", "week4_gans", "week5_nlp", "week6_dcgan",
         "final_text2image"]
SPEEDUP_TARGET, PER_SUBMISSION_TARGET = 1.7, 0.15


def _env() -> dict:
    return dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
                MPLBACKEND="Agg")


def make_course(week: str, students: list[str]) -> Path:
    """A throw-away course with the week released and one reference submission per student."""
    root = Path(tempfile.mkdtemp(prefix=f"bench-grading-{week}-"))
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / week, root / week, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", week, "--force"], cwd=root, env=_env(),
                   check=True, capture_output=True)
    source = next(p for p in (REPO / week).glob("*assignment*.ipynb"))
    for student in students:
        folder = root / "submitted" / student / week
        folder.mkdir(parents=True)
        shutil.copy(source, folder / source.name)
    return root


def _timed(cmd: list[str], cwd: Path) -> float:
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def _scores(root: Path, week: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.find_assignment(week).submissions}


def bench_class(week: str, n_students: int, jobs: int, ref: dict) -> dict:
    students = [f"student{i:02d}" for i in range(n_students)]
    serial_root, parallel_root = make_course(week, students), make_course(week, students)
    try:
        serial = _timed([sys.executable, "-m", "nbgrader", "autograde", week, "--force"], serial_root)
        parallel = _timed([sys.executable, "-m", "course_lib.cli", "grade", week, "-j", str(jobs), "--no-progress"],
                          parallel_root)
        same = _scores(serial_root, week) == _scores(parallel_root, week)
    finally:
        shutil.rmtree(serial_root, ignore_errors=True)
        shutil.rmtree(parallel_root, ignore_errors=True)
    speedup = serial / parallel
    print(f"\nA class of {n_students} reference submissions of {week}:")
    print(f"| grader | wall time | per submission |\n|---|---|---|")
    print(f"| `nbgrader autograde` (serial) | {in_reference_epochs(serial, ref)} | {serial / n_students:.1f} s |")
    print(f"| `course grade -j {jobs}` | {in_reference_epochs(parallel, ref)} | {parallel / n_students:.1f} s |")
    print(f"speedup {speedup:.2f}x (target >= {SPEEDUP_TARGET}x on 2 cores: "
          f"{'met' if speedup >= SPEEDUP_TARGET else 'NOT met'}); same scores in both: {same}")
    return {"week": week, "students": n_students, "jobs": jobs, "serial_s": serial, "parallel_s": parallel,
            "speedup": speedup, "same_scores": same}


def bench_weeks(weeks: list[str], ref: dict) -> list[dict]:
    rows = []
    print("\nGrading one reference submission per week (`course grade WEEK -j 1`, quick mode):")
    print("| week | grading time per submission | target |\n|---|---|---|")
    for week in weeks:
        root = make_course(week, ["reference"])
        try:
            _timed([sys.executable, "-m", "course_lib.cli", "grade", week, "-j", "1", "--no-progress"], root)
            row = next(csv.DictReader(open(root / "grades" / f"{week}.csv")))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        seconds = float(row["seconds"])
        ratio = seconds / ref["reference_epoch_s"]
        print(f"| {week} | {in_reference_epochs(seconds, ref)} | <= {PER_SUBMISSION_TARGET} "
              f"({'met' if ratio <= PER_SUBMISSION_TARGET else 'NOT met'}) |")
        rows.append({"week": week, "seconds": seconds, "reference_epochs": ratio, "score": row["score"],
                     "max_score": row["max_score"]})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--week", default="week4_gans", help="the week graded as a class (part 1)")
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--class-only", action="store_true")
    parser.add_argument("--weeks-only", action="store_true")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    ref = measure_reference_epoch()
    print(describe(ref))
    result = {"reference": ref}
    if not args.weeks_only:
        result["class"] = bench_class(args.week, args.students, args.jobs, ref)
    if not args.class_only:
        result["weeks"] = bench_weeks(WEEKS, ref)
    ref_after = measure_reference_epoch()
    print(f"\n(reference epoch measured again after the runs: {ref_after['reference_epoch_s']:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
