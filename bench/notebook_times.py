"""How long each notebook takes in quick mode, in seconds and in reference epochs.

    nice python bench/notebook_times.py               # every notebook, as `make test` runs them (~10 min on 2 cores)
    python bench/notebook_times.py week6 final         # only notebooks whose path contains one of these words

Every notebook runs as tests/test_notebooks.py runs it: quick mode, a copy of its week folder, an empty course
data directory (so a notebook that needs the Week 3 classifier trains one, as in CI). The reference epoch
(``reference_epoch.py``, about half a minute) is measured before the first notebook and after every one, in the
same run, and each notebook's time is divided by the mean of the two measured around it: on a shared machine the
speed drifts while the notebooks run, and ratios travel between machines, seconds do not. A row marked ``*`` had
the machine's speed change by more than a quarter around it; run again on a quieter machine before quoting it.
The README's syllabus quotes these ratios.
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
    references = [measure_reference_epoch()]
    print(describe(references[0]), flush=True)
    rows = []  # (notebook, seconds, reference epoch around it in seconds, drifted)
    for path in notebooks:
        seconds = time_notebook(path)
        references.append(measure_reference_epoch())
        before, after = references[-2]["reference_epoch_s"], references[-1]["reference_epoch_s"]
        rows.append((notebook_id(path), seconds, (before + after) / 2, abs(after - before) > 0.25 * min(before, after)))
        print(f"  ran {rows[-1][0]} in {seconds:.1f} s; reference epoch {before:.0f} s before, {after:.0f} s after",
              flush=True)
    print(f"\n{describe(references[-1])}")
    epochs = [r["reference_epoch_s"] for r in references]
    print(f"reference epoch during the run: {min(epochs):.0f} to {max(epochs):.0f} s ({len(epochs)} measurements)\n")
    width = max(len(name) for name, *_ in rows)
    print(f"{'notebook (quick mode)':<{width}}  time, and in the reference epoch measured around it")
    for name, seconds, reference, drifted in rows:
        print(f"{name:<{width}}  {in_reference_epochs(seconds, {'reference_epoch_s': reference})}"
              f"{' *' if drifted else ''}")
    total_s, total_ratio = sum(r[1] for r in rows), sum(r[1] / r[2] for r in rows)
    print(f"{'all ' + str(len(rows)) + ' notebooks':<{width}}  {total_s:.1f} s = {total_ratio:.2f} reference epochs "
          "(the sum of the rows)")
    if any(r[3] for r in rows):
        print("* the reference epoch changed by more than a quarter around this notebook: the machine's speed drifted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
