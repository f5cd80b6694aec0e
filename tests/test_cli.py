"""The `course` command: doctor (with a missing package) and data show, run as a real console script; the passing
doctor and the bad inputs call the function the console script calls (`cli.main`, through the `course_here`
fixture) in this process, which has TensorFlow loaded already."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

COURSE = Path(sys.executable).parent / "course"


def course_env(tmp_path, env_extra=None) -> dict:
    env = dict(os.environ, COURSE_DATA_DIR=str(tmp_path / "data"), KERAS_HOME=str(tmp_path / "keras"),
               MPLBACKEND="Agg")
    env.pop("COURSE_ALLOW_DOWNLOAD", None)
    env.update(env_extra or {})
    return env


def run_course(*args, env_extra=None, tmp_path=None):
    return subprocess.run([str(COURSE), *args], capture_output=True, text=True, env=course_env(tmp_path, env_extra),
                          timeout=300)


def test_console_script_is_installed():
    assert COURSE.is_file(), "install the course with pip install -e . to get the `course` command"


@pytest.mark.slow
def test_doctor_passes_on_this_machine(tmp_path, course_here):
    proc = course_here(course_env(tmp_path), "doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    import tensorflow as tf

    assert f"tensorflow        {tf.__version__}" in proc.stdout or tf.__version__ in proc.stdout
    assert "source='auto' uses 'mnist-5k'" in proc.stdout
    gpu = "none: CPU only" if not tf.config.list_physical_devices("GPU") else "GPU:0"
    assert gpu in proc.stdout


@pytest.mark.slow
def test_doctor_fails_and_says_how_to_fix_a_missing_package(tmp_path):
    # A package directory that raises on import stands in for an uninstalled gensim.
    fake = tmp_path / "shadow" / "gensim"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named gensim (simulated)')\n")
    proc = run_course("doctor", tmp_path=tmp_path,
                      env_extra={"PYTHONPATH": str(tmp_path / "shadow")})
    assert proc.returncode == 1, proc.stdout
    assert "[FAIL] gensim" in proc.stdout
    assert "fix: pip install gensim" in proc.stdout
    assert "problem(s) to fix: gensim" in proc.stdout


@pytest.mark.slow
def test_doctor_reports_a_corrupt_mnist_file(tmp_path, course_here):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    proc = course_here(course_env(tmp_path), "doctor")
    assert proc.returncode == 1
    assert "[FAIL] full MNIST" in proc.stdout and str(data_dir / "mnist.npz") in proc.stdout


def test_data_show_writes_a_png_and_prints_its_path(tmp_path):
    out = tmp_path / "grid.png"
    proc = run_course("data", "show", "--source", "digits8x8", "--out", str(out), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_data_show_with_a_corrupt_file_fails_cleanly(tmp_path, course_here):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "mnist.npz").write_bytes(b"garbage")
    proc = course_here(course_env(tmp_path), "data", "show", "--out", str(tmp_path / "g.png"))
    assert proc.returncode == 2
    assert "course: error:" in proc.stderr and "mnist.npz" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_data_build_writes_a_numpy_loadable_file(tmp_path):
    out = tmp_path / "cap.npz"
    proc = run_course("data", "build", "--source", "digits8x8", "--out", str(out), "--captions-per-image", "2",
                      tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout
    import numpy as np

    with np.load(out) as f:
        assert f["captions"].shape == (1797, 2)


def test_data_build_rejects_zero_captions(tmp_path, course_here):
    proc = course_here(course_env(tmp_path), "data", "build", "--source", "digits8x8", "--out", str(tmp_path / "c.npz"),
                       "--captions-per-image", "0")
    assert proc.returncode == 2 and "at least 1" in proc.stderr


def _record_steps(monkeypatch, failing=None):
    """Replace each command the demo runs by one that records the arguments argparse parsed for it; ``failing``
    names the one that fails (exit code 3)."""
    from course_lib import cli

    calls = []
    for name in ("_doctor", "_data_show", "_train", "_generate", "_evaluate"):
        def step(args, name=name):
            calls.append((name, vars(args)))
            return 3 if name == failing else 0
        monkeypatch.setattr(cli, name, step)
    return calls


def test_demo_runs_the_five_commands_in_order_and_prints_each(tmp_path, course_here, monkeypatch):
    calls = _record_steps(monkeypatch)
    proc = course_here(course_env(tmp_path), "demo", "--out", "somewhere")
    assert proc.returncode == 0, proc.stderr
    assert [name for name, _ in calls] == ["_doctor", "_data_show", "_train", "_generate", "_evaluate"]
    args = dict(calls)
    # parsed as the commands parse them: the defaults of a plain `course train` etc. hold for the rest
    assert args["_train"]["config"] == "quick" and args["_train"]["run_dir"] == "runs/text2image"
    assert not args["_train"]["fresh"]
    assert args["_generate"]["prompts"][-2:] == ["the number 42", "a thick 7 next to a thin 1"]
    assert args["_generate"]["out"] == "somewhere/prompts" and args["_generate"]["n"] == 8
    assert args["_generate"]["run_dir"] is None and args["_evaluate"]["run_dir"] is None
    assert args["_evaluate"]["json"] == "somewhere/evaluation.json"
    assert args["_data_show"]["out"] == "somewhere/digits_per_class.png"
    # each step is printed as the command that does it alone, quoted so it can be pasted into a shell
    assert "$ course train --config quick" in proc.stdout
    assert "$ course generate 'a thick, slanted seven' 'a thin seven'" in proc.stdout


def test_demo_stops_at_the_first_failing_command_and_says_which(tmp_path, course_here, monkeypatch):
    calls = _record_steps(monkeypatch, failing="_train")
    proc = course_here(course_env(tmp_path), "demo")
    assert proc.returncode == 3
    assert [name for name, _ in calls] == ["_doctor", "_data_show", "_train"], "nothing runs after a failure"
    assert "course demo: stopped, `course train` failed (exit code 3)" in proc.stderr


def test_demo_passes_on_an_error_as_the_command_alone_would(tmp_path, course_here, monkeypatch):
    from course_lib import cli

    calls = _record_steps(monkeypatch)

    def refused(args):
        raise ValueError("runs/text2image holds a full-preset run whose networks differ")
    monkeypatch.setattr(cli, "_train", refused)
    proc = course_here(course_env(tmp_path), "demo")
    assert proc.returncode == 2 and "course: error: runs/text2image holds a full-preset run" in proc.stderr
    assert [name for name, _ in calls] == ["_doctor", "_data_show"]
