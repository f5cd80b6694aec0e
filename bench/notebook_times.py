"""How long each notebook takes in quick mode, in seconds and in reference epochs.

    nice python bench/notebook_times.py               # every notebook, as `make test` runs them (~10 min on 2 cores)
    python bench/notebook_times.py week6 final         # only notebooks whose path contains one of these words

Every notebook runs as tests/test_notebooks.py runs it: quick mode, a copy of its week folder, an empty course
data directory (so a notebook that needs the Week 3 classifier trains one, as in CI). The reference epoch
(``reference_epoch.py``) is measured before and after the notebooks, in the same run, and the table divides by
their mean: ratios travel between machines, seconds do not. The README's syllabus quotes these ratios.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from reference_epoch import REPO, describe, in_reference_epochs, measure_reference_epoch

sys.path.insert(0, str(REPO / "tests"))
from course_files import course_notebooks, execute_notebook, notebook_id, quick_environment  # noqa: E402


def time_notebook(path: Path) -> float:
    """Seconds to run ``path`` top to bottom in quick mode, from a clean data directory."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="notebook_times_") as tmp:
        os.environ.update(quick_environment(Path(tmp)))
        os.environ.pop("COURSE_ALLOW_DOWNLOAD", None)
        try:
            start = time.monotonic()
            execute_notebook(path, Path(tmp))
            return time.monotonic() - start
        finally:
            os.environ.clear()
            os.environ.update(saved)


def main(argv=None) -> int:
    words = sys.argv[1:] if argv is None else argv
    notebooks = [p for p in course_notebooks() if not words or any(w in notebook_id(p) for w in words)]
    if not notebooks:
        print(f"no notebook matches {words}", file=sys.stderr)
        return 2
    before = measure_reference_epoch()
    print(describe(before), flush=True)
    times = {}
    for path in notebooks:
        times[notebook_id(path)] = time_notebook(path)
        print(f"  ran {notebook_id(path)} in {times[notebook_id(path)]:.1f} s", flush=True)
    after = measure_reference_epoch()
    print(describe(after))
    reference = dict(after, reference_epoch_s=(before["reference_epoch_s"] + after["reference_epoch_s"]) / 2)
    print(f"\nreference epoch: {before['reference_epoch_s']:.0f} s before and {after['reference_epoch_s']:.0f} s "
          f"after the notebooks; the table divides by their mean, {reference['reference_epoch_s']:.0f} s\n")
    width = max(len(name) for name in times)
    print(f"{'notebook (quick mode)':<{width}}  seconds  reference epochs")
    for name, seconds in times.items():
        print(f"{name:<{width}}  {seconds:7.1f}  {seconds / reference['reference_epoch_s']:16.3f}")
    total = sum(times.values())
    print(f"{'all ' + str(len(times)) + ' notebooks':<{width}}  {total:7.1f}  "
          f"{total / reference['reference_epoch_s']:16.3f}")
    print(f"\ntotal: {in_reference_epochs(total, reference)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
