"""Time `make demo` end to end, the way a new user meets it, in seconds and in reference epochs.

    python bench/bench_demo.py            # needs .venv installed (`make venv`); deletes runs/text2image and runs/demo

Measures the reference epoch, then runs `make demo` with an empty course data directory (a temporary
COURSE_DATA_DIR: no captioned digits, no saved classifier) and no earlier run, then measures the
reference epoch again: machines here change speed from minute to minute, and the two measurements
show by how much. Prints the wall time of each step of the demo (from the timestamps of its output)
and the total. The README's figure comes from here.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reference_epoch import REPO, around_a_run, describe, in_reference_epochs, measure_reference_epoch


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-run", action="store_true", help="keep runs/text2image (a second demo reuses it)")
    args = parser.parse_args(argv)
    if not (REPO / ".venv" / "bin" / "course").exists():
        sys.exit("install first: make venv")
    # "after installation": bring the install up to date first (a changed pyproject.toml re-installs)
    subprocess.run(["make", "venv"], cwd=REPO, check=True)
    before = measure_reference_epoch()
    print(describe(before), flush=True)
    if not args.keep_run:
        for folder in ("runs/text2image", "runs/demo"):
            shutil.rmtree(REPO / folder, ignore_errors=True)
    steps, start = [], time.monotonic()
    with tempfile.TemporaryDirectory(prefix="course_data_") as data_dir:
        env = dict(os.environ, COURSE_DATA_DIR=data_dir, MPLBACKEND="Agg")
        env.pop("COURSE_ALLOW_DOWNLOAD", None)
        proc = subprocess.Popen(["make", "demo"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        for line in proc.stdout:
            sys.stdout.write(line)
            if line.startswith("$ course "):  # `course demo` prints each command before running it
                steps.append((time.monotonic() - start, line.split()[2]))
        code = proc.wait()
    total = time.monotonic() - start
    after = measure_reference_epoch()
    reference = around_a_run(before, after)
    print()
    print(f"reference epoch before {before['reference_epoch_s']:.0f} s, after {after['reference_epoch_s']:.0f} s; "
          f"their mean, {reference['reference_epoch_s']:.0f} s, is used below")
    ends = [t for t, _ in steps[1:]] + [total]
    for (t, name), end in zip(steps, ends):
        print(f"  course {name:<10} {in_reference_epochs(end - t, reference)}")
    print(f"make demo   {in_reference_epochs(total, reference)} (exit code {code})")
    print(f"            {describe(after)}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
