"""course_lib.runtime: the quick/full/auto switch and its one-line report, seeding, the device report."""
import os
import random
import subprocess
import sys

import numpy as np
import pytest

import course_lib as cl
from course_lib import runtime


@pytest.fixture
def clean_env(monkeypatch):
    """No mode variable set, and set_mode's memory cleared."""
    for name in ("COURSE_QUICK", "COURSE_MODE", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(runtime, "_set_by_call", None)
    return monkeypatch


@pytest.fixture
def no_gpu(clean_env):
    clean_env.setattr(runtime, "_gpu_names", lambda: ())
    return clean_env


@pytest.fixture
def a_gpu(clean_env):
    clean_env.setattr(runtime, "_gpu_names", lambda: ("GPU:0",))
    return clean_env


# ---------------------------------------------------------------- auto, the default
def test_auto_without_a_gpu_is_quick_and_says_why(no_gpu):
    assert cl.run_mode() == "quick" and cl.is_quick() and cl.pick(quick=1, full=20) == 1
    line = cl.describe_mode()
    assert line.startswith("Quick mode (no GPU found)")
    assert 'cl.set_mode("full")' in line and "COURSE_MODE=full" in line


def test_auto_with_a_gpu_is_full_and_names_it(a_gpu):
    assert cl.run_mode() == "full" and cl.pick(quick=1, full=20) == 20
    line = cl.describe_mode()
    assert line.startswith("Full mode (GPU found: GPU:0)")
    assert 'cl.set_mode("quick")' in line and "COURSE_MODE=quick" in line


def test_auto_without_tensorflow_is_quick_and_says_so(clean_env):
    clean_env.setattr(runtime, "_gpu_names", lambda: None)
    assert cl.run_mode() == "quick"
    assert "TensorFlow is not installed" in cl.describe_mode()


@pytest.mark.parametrize("value", ["auto", "AUTO", " auto "])
def test_course_mode_auto_is_the_default_said_out_loud(a_gpu, value):
    a_gpu.setenv("COURSE_MODE", value)
    assert cl.run_mode() == "full"
    assert cl.describe_mode().startswith("Full mode (COURSE_MODE=")


# ---------------------------------------------------------------- explicit choices
@pytest.mark.parametrize("mode", ["quick", "full", "Full"])
def test_course_mode_chooses_explicitly_whatever_the_gpu(clean_env, mode):
    for gpus in [(), ("GPU:0",)]:
        clean_env.setattr(runtime, "_gpu_names", lambda gpus=gpus: gpus)
        clean_env.setenv("COURSE_MODE", mode)
        assert cl.run_mode() == mode.lower()
        assert cl.describe_mode().startswith(f"{mode.lower().capitalize()} mode (COURSE_MODE={mode}")


def test_full_mode_without_a_gpu_warns_in_the_line(no_gpu):
    no_gpu.setenv("COURSE_MODE", "full")
    assert "no GPU found" in cl.describe_mode()


def test_set_mode_chooses_for_the_session_and_child_processes(no_gpu, capsys):
    assert cl.set_mode("full") == "full"
    assert cl.run_mode() == "full" and os.environ["COURSE_MODE"] == "full"
    assert capsys.readouterr().out.startswith('Full mode (cl.set_mode("full")')
    cl.set_mode("auto")
    assert cl.run_mode() == "quick"
    assert capsys.readouterr().out.startswith('Quick mode (cl.set_mode("auto"), no GPU found)')


def test_course_mode_set_outside_is_not_credited_to_set_mode(no_gpu):
    cl.set_mode("full")
    os.environ["COURSE_MODE"] = "quick"  # changed behind set_mode's back: the variable is named, not set_mode
    assert cl.describe_mode().startswith("Quick mode (COURSE_MODE=quick)")


# ---------------------------------------------------------------- what still forces quick
@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_course_quick_forces_quick_over_everything(a_gpu, value, capsys):
    a_gpu.setenv("COURSE_QUICK", value)
    a_gpu.setenv("COURSE_MODE", "full")
    assert cl.run_mode() == "quick" and cl.pick(quick=1, full=20) == 1
    assert cl.set_mode("full") == "quick"
    out = capsys.readouterr().out
    assert out.startswith(f"Quick mode (COURSE_QUICK={value} is set)") and "unset COURSE_QUICK" in out


@pytest.mark.parametrize("value", ["0", "", "false", "no", "off"])
def test_course_quick_off_values_leave_the_choice_to_auto(a_gpu, value):
    a_gpu.setenv("COURSE_QUICK", value)
    assert cl.run_mode() == "full"


@pytest.mark.parametrize("stage", ["autograde", "validate"])
def test_nbgrader_execution_means_quick_whatever_else_is_set(a_gpu, stage, capsys):
    a_gpu.setenv("COURSE_QUICK", "0")
    a_gpu.setenv("COURSE_MODE", "full")
    a_gpu.setenv("NBGRADER_EXECUTION", stage)
    assert cl.is_quick()
    assert cl.set_mode("full") == "quick"  # a student's set_mode cannot make grading slow
    out = capsys.readouterr().out
    assert out.startswith("Quick mode (nbgrader is running this notebook") and "switch" not in out


def test_is_grading_only_while_nbgrader_runs_the_notebook(a_gpu):
    a_gpu.setenv("COURSE_QUICK", "1")
    assert not cl.is_grading(), "quick mode alone is not grading"
    a_gpu.setenv("NBGRADER_EXECUTION", "autograde")
    assert cl.is_grading()
    a_gpu.setenv("NBGRADER_EXECUTION", "")
    assert not cl.is_grading()


# ---------------------------------------------------------------- bad input: a clear error, nothing changed
@pytest.mark.parametrize("value", ["fast", "quik", "gpu", "1"])
def test_unknown_course_mode_is_a_clear_error(no_gpu, value):
    no_gpu.setenv("COURSE_MODE", value)
    with pytest.raises(ValueError, match=r"COURSE_MODE=.* is not a run mode: use quick, full, auto"):
        cl.run_mode()


@pytest.mark.parametrize("value", ["2", "maybe", "y"])
def test_unknown_course_quick_value_is_a_clear_error(no_gpu, value):
    no_gpu.setenv("COURSE_QUICK", value)
    with pytest.raises(ValueError, match="COURSE_QUICK=.* is neither on nor off"):
        cl.run_mode()


@pytest.mark.parametrize("bad", ["fast", "", None, 1, "gpu"])
def test_set_mode_rejects_unknown_modes_and_changes_nothing(no_gpu, bad):
    no_gpu.setenv("COURSE_MODE", "full")
    with pytest.raises(ValueError, match="set_mode takes one of 'quick', 'full', 'auto'"):
        cl.set_mode(bad)
    assert os.environ["COURSE_MODE"] == "full" and cl.run_mode() == "full"


# ---------------------------------------------------------------- the real machine, no stand-ins
def test_auto_mode_asks_tensorflow_on_this_machine(clean_env):
    """In a fresh process with no mode variable, the line matches what TensorFlow sees here."""
    import tensorflow as tf

    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_QUICK", "COURSE_MODE", "NBGRADER_EXECUTION")}
    out = subprocess.run([sys.executable, "-c", "import course_lib as cl; cl.print_mode()"], env=env,
                         capture_output=True, text=True, timeout=300, check=True).stdout.strip()
    gpus = tf.config.list_physical_devices("GPU")
    assert out.startswith("Full mode (GPU found" if gpus else "Quick mode (no GPU found)"), out
    assert len(out.splitlines()) == 1


def test_gpu_check_does_not_import_tensorflow_where_no_gpu_can_exist(clean_env):
    if runtime._gpu_hardware_possible():
        pytest.skip("this machine may have a GPU: TensorFlow has to be asked")
    code = "import sys, course_lib as cl; cl.run_mode(); print('tensorflow' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_QUICK", "COURSE_MODE")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                         check=True).stdout.strip()
    assert out == "False"


def test_set_seed_makes_python_numpy_and_tensorflow_repeat():
    import tensorflow as tf

    def draw():
        return random.random(), np.random.rand(), float(tf.random.uniform(()))

    cl.set_seed(7)
    first = draw()
    cl.set_seed(7)
    assert draw() == first
    cl.set_seed(8)
    assert draw() != first


def test_set_seed_rejects_non_integers():
    with pytest.raises(TypeError, match="int"):
        cl.set_seed("42")


def test_device_report_tells_the_truth(capsys):
    import keras
    import tensorflow as tf

    report = cl.device_report()
    assert report["tensorflow"] == tf.__version__
    assert report["keras"] == keras.__version__
    assert report["gpus"] == [d.name for d in tf.config.list_physical_devices("GPU")]
    out = capsys.readouterr().out
    assert tf.__version__ in out and "GPU" in out


def test_share_cores_gives_each_process_its_share(monkeypatch):
    from course_lib import runtime

    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 4)
    for name in runtime.THREAD_ENV:
        monkeypatch.delenv(name, raising=False)
    assert runtime.share_cores(2) == 2
    assert {os.environ[name] for name in runtime.THREAD_ENV} == {"2"}
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert runtime.share_cores(8) == 1  # never less than one thread
    assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["TF_NUM_INTRAOP_THREADS"] == "1"
    assert runtime.share_cores(0) == 4  # a nonsensical count of processes gets the whole machine
    assert {os.environ[name] for name in runtime.THREAD_ENV} == {"4"}
