"""How bench/ and .ci/run put a long run against the machine's speed measured before and after it."""
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
from reference_epoch import around_a_run, over_a_run  # noqa: E402


def test_a_run_reads_against_the_mean_of_the_speeds_before_and_after():
    line = over_a_run(832.0, 154.0, 220.0)
    assert line.startswith("832.0 s = 4.45 reference epochs at the mean of 154 s before and 220 s after")
    assert "5.40 by the first alone, 3.78 by the second" in line


def test_around_a_run_keeps_both_readings_and_reads_against_their_mean():
    before = {"reference_epoch_s": 319.0, "images_per_s": 188.0, "what": "the tutorial step"}
    reference = around_a_run(before, {"reference_epoch_s": 362.0, "images_per_s": 166.0})
    assert reference["reference_epoch_s"] == 340.5
    assert (reference["before_s"], reference["after_s"]) == (319.0, 362.0)
    assert reference["what"] == "the tutorial step" and before["reference_epoch_s"] == 319.0  # before is not changed


@pytest.mark.parametrize("args", [["--took", "10"], ["--before", "150"]])
def test_took_and_before_go_together(args):
    proc = subprocess.run([sys.executable, str(BENCH / "reference_epoch.py"), *args], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "--took and --before go together" in proc.stderr
