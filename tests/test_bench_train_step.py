"""bench/bench_train_step.py: it times the step that trains (with and without XLA) and refuses empty rounds."""
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib import text2image as t2i

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
from bench_train_step import time_steps  # noqa: E402

TINY = dict(g_filters=8, d_filters=4, d_features=8, batch_size=4, latent_dim=4, text_proj_dim=4)


@pytest.mark.parametrize("jit", [True, False])
def test_time_steps_trains_the_preset_and_gives_a_time_per_step(jit):
    first, per_step = time_steps(t2i.Text2ImageConfig.preset("quick", jit_compile=jit, **TINY), steps=2, rounds=2)
    assert first > per_step > 0


@pytest.mark.parametrize("flag", ["--steps", "--rounds"])
def test_zero_steps_or_rounds_are_refused_before_measuring(flag):
    proc = subprocess.run([sys.executable, str(BENCH / "bench_train_step.py"), flag, "0"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "--steps and --rounds must be at least 1" in proc.stderr
