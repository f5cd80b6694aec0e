"""How bench/ and .ci/run put a long run against the machine's speed measured before and after it."""
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
from reference_epoch import over_a_run  # noqa: E402


def test_a_run_reads_against_the_mean_of_the_speeds_before_and_after():
    line = over_a_run(832.0, 154.0, 220.0)
    assert line.startswith("832.0 s = 4.45 reference epochs at the mean of 154 s before and 220 s after")
    assert "5.40 by the first alone, 3.78 by the second" in line


@pytest.mark.parametrize("args", [["--took", "10"], ["--before", "150"]])
def test_took_and_before_go_together(args):
    proc = subprocess.run([sys.executable, str(BENCH / "reference_epoch.py"), *args], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "--took and --before go together" in proc.stderr
