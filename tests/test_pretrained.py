"""The small pretrained models that ship with the course (course_lib/pretrained/): present, small, packaged,
loaded by default before any training, and accurate.

The accuracy checks judge a few hundred digits; they are correctness checks of the shipped files, not
benchmarks (bench/bench_text2image.py --pretrained measures the model in full).
"""
import os
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest

from course_lib import text2image as t2i
from course_lib._pretrained import PRETRAINED_DIR
from course_lib.metrics import judge_file, load_judge

REPO = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 10_000_000
JUDGE = judge_file("mnist-5k")
TEXT2IMAGE = PRETRAINED_DIR / t2i.PRETRAINED_TEXT2IMAGE


def test_each_shipped_model_is_there_and_under_10_mb():
    assert JUDGE.is_file(), "rebuild with `course pretrained judge`"
    assert {p.name for p in TEXT2IMAGE.iterdir()} == {"config.json", "encoder.npz", "generator.npz"}, \
        "rebuild with `course pretrained export RUN_DIR`"
    assert JUDGE.stat().st_size < LIMIT_BYTES
    assert sum(p.stat().st_size for p in TEXT2IMAGE.iterdir()) < LIMIT_BYTES


def test_the_shipped_files_are_package_data():
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["course_lib"]
    shipped = [p.relative_to(REPO / "course_lib").as_posix() for p in PRETRAINED_DIR.rglob("*") if p.is_file()]
    assert shipped and all(any(fnmatch(f, pattern) for pattern in patterns) for f in shipped), shipped


def test_the_shipped_judge_reads_the_test_digits(quick_env):
    from course_lib.data import load_digits_dataset

    judge = load_judge("mnist-5k", verbose=False)  # an empty data dir: nothing saved, nothing trained
    assert not (Path(quick_env["COURSE_DATA_DIR"]) / "models").exists(), \
        "the shipped judge is used as it is, without training or saving anything"
    data = load_digits_dataset("mnist-5k", verbose=False)
    accuracy = (judge.predict(data.x_test, verbose=0).argmax(axis=1) == data.y_test).mean()
    assert accuracy >= 0.97, f"the shipped judge reads only {accuracy:.1%} of the test digits"


def test_the_shipped_text2image_model_draws_what_it_is_asked(quick_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a fresh clone: no runs/text2image (a developer's `make demo` leaves one)
    run = t2i.load_run()  # no run in runs/text2image here: the pretrained model
    assert run.pretrained and run.config.name == "full" and run.source == "mnist-5k"
    assert run.style_counts.shape == (10, 3, 3)
    report = t2i.check_pretrained(n=5)  # what `course pretrained check` prints
    assert report["judge_accuracy"] >= 0.97
    assert report["text2image_heldout_accuracy"] >= 0.9, report["text2image"]
    numbers = t2i.number_accuracy(run, load_judge("mnist-5k", verbose=False), ["the number 42", "2026"], n=5)
    assert min(numbers["per_position"]) >= 0.8


def test_course_generate_works_before_any_training(quick_env, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([str(Path(sys.executable).parent / "course"), "generate", "a thick 7", "the number 42",
                           "-n", "2", "--out", str(tmp_path / "x")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "pretrained model shipped with the course" in proc.stdout
    with np.load(tmp_path / "x.npz") as f:
        assert f["images"].shape == (2, 2, 28, 56)


def test_a_damaged_generator_file_is_a_clear_error(tmp_path, monkeypatch):
    import shutil

    from course_lib import _pretrained

    copy = tmp_path / t2i.PRETRAINED_TEXT2IMAGE
    shutil.copytree(TEXT2IMAGE, copy)
    (copy / "generator.npz").write_bytes(b"not a zip file")
    monkeypatch.setattr(_pretrained, "PRETRAINED_DIR", tmp_path)
    with pytest.raises(t2i.RunError, match="unreadable generator weights.*course pretrained export"):
        t2i.load_pretrained()
