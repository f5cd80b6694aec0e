"""bench/bench_digit_free.py's caption dropout: the digit goes, the rest of the caption stays; bad --share refused."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
from bench_digit_free import drop_digits  # noqa: E402


def test_dropped_captions_say_digit_where_they_named_it():
    captions = np.asarray([["a thick 7", "the digit seven, upright", "the number 7 written in thin strokes"],
                           ["an eight leaning left", "a 1 that is italic", "8 drawn with a bold pen"]])
    dropped = drop_digits(captions, np.asarray([7, 8]), share=0.999)
    assert dropped.tolist() == [["a thick digit", "a digit, upright", "a digit written in thin strokes"],
                                ["a digit leaning left", "a 1 that is italic",  # a 1 under label 8 is left alone
                                 "digit drawn with a bold pen"]]


def test_a_share_drops_about_that_share_and_only_digits():
    captions = np.asarray([[f"a thin {d}"] * 10 for d in range(10)] * 20)
    labels = np.repeat(np.arange(10)[None], 20, axis=0).ravel()
    dropped = drop_digits(captions, labels, share=0.15, seed=1)
    changed = dropped != captions
    assert 0.10 < changed.mean() < 0.20
    assert set(dropped[changed]) == {"a thin digit"}


@pytest.mark.parametrize("share", ["0", "1", "1.5"])
def test_share_outside_zero_and_one_is_refused(share):
    proc = subprocess.run([sys.executable, str(BENCH / "bench_digit_free.py"), "--share", share], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "--share must be between 0 and 1" in proc.stderr
