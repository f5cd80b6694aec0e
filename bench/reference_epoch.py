"""The machine's speed in one unit that travels between machines: the reference epoch.

Every benchmark in bench/ reports a wall time in seconds AND in reference epochs, measured in the same run
by ``../shared/machine_speed.py`` (the TensorFlow DCGAN tutorial's training step on random data, scaled to
one 60,000-image epoch). Machines here differ several-fold in speed from day to day; ratios travel, seconds
do not.

    python bench/reference_epoch.py          # prints the reference epoch of this machine
    python bench/reference_epoch.py --seconds                  # the same, and the seconds alone on stdout
    python bench/reference_epoch.py --took 832 --before 154    # measures again: 832 s over the run's two speeds

From a benchmark::

    from reference_epoch import measure_reference_epoch, in_reference_epochs
    ref = measure_reference_epoch()          # {"reference_epoch_s": 221.0, "images_per_s": ..., ...}
    print(in_reference_epochs(seconds, ref)) # "73.4 s = 0.33 reference epoch"
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The script lives beside the repository, in the workplace's shared folder.
MACHINE_SPEED = REPO.parent / "shared" / "machine_speed.py"
NAME = "TensorFlow DCGAN tutorial step (batch 256), one 60,000-image epoch"


def measure_reference_epoch(script: Path = MACHINE_SPEED) -> dict:
    """Run ``machine_speed.py`` in a fresh Python and return its JSON (``reference_epoch_s`` and more).

    Raises FileNotFoundError, naming the path, when the script is not beside the repository.
    """
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"{script} not found: the reference epoch is measured by the workplace's "
                                "shared/machine_speed.py, kept beside this repository")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["what"] = NAME
    return result


def in_reference_epochs(seconds: float, reference: dict) -> str:
    """``"73.4 s = 0.33 reference epoch"``: a time with its ratio to this run's reference epoch."""
    return f"{seconds:.1f} s = {seconds / reference['reference_epoch_s']:.2f} reference epoch"


def describe(reference: dict) -> str:
    return (f"reference epoch on this machine: {reference['reference_epoch_s']:.0f} s "
            f"({reference['images_per_s']:.0f} images/s; {reference['what']}; {reference.get('cpus')} CPUs, "
            f"TensorFlow {reference.get('tensorflow')})")


def around_a_run(before: dict, after: dict) -> dict:
    """One reference for a long run from the readings before and after it: ``before``'s description, the mean of
    the two as ``reference_epoch_s``, and each reading as ``before_s`` and ``after_s``."""
    return {**before, "reference_epoch_s": (before["reference_epoch_s"] + after["reference_epoch_s"]) / 2,
            "before_s": before["reference_epoch_s"], "after_s": after["reference_epoch_s"]}


def over_a_run(seconds: float, before: float, after: float) -> str:
    """A long run's time against the reference epochs measured before and after it: their mean, and each alone
    (a shared machine's speed can drift by a third while a run lasts)."""
    mean = (before + after) / 2
    return (f"{seconds:.1f} s = {seconds / mean:.2f} reference epochs at the mean of {before:.0f} s before and "
            f"{after:.0f} s after ({seconds / before:.2f} by the first alone, {seconds / after:.2f} by the second)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Measure and print this machine's reference epoch.")
    parser.add_argument("--seconds", action="store_true",
                        help="print the description on stderr and the reference epoch's seconds alone on stdout")
    parser.add_argument("--took", type=float, help="seconds that a run took, printed against --before and now")
    parser.add_argument("--before", type=float, help="the reference epoch (s) measured just before that run")
    args = parser.parse_args(argv)
    if (args.took is None) != (args.before is None):
        parser.error("--took and --before go together")
    reference = measure_reference_epoch()
    print(describe(reference), file=sys.stderr if args.seconds else sys.stdout)
    if args.seconds:
        print(f"{reference['reference_epoch_s']:.1f}")
    if args.took is not None:
        print(over_a_run(args.took, args.before, reference["reference_epoch_s"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
