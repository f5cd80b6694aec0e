"""Run mode (quick or full), seeding, TensorFlow quieting and the device report.

Every long computation in the course reads the mode from here, so no notebook
has to look at environment variables itself. The mode is decided, first rule first:

1. ``NBGRADER_EXECUTION`` is set (nbgrader is grading): quick, always;
2. ``COURSE_QUICK=1`` (CI and the tests): quick;
3. ``cl.set_mode("quick" | "full" | "auto")`` in the notebook, or else
   ``COURSE_MODE=quick|full|auto`` in the environment (default ``auto``);
4. auto: full when TensorFlow can use a GPU, quick without one.

``print_mode()`` says in one line which mode runs, why, and how to switch.
"""
from __future__ import annotations

import functools
import glob
import importlib.util
import logging
import os
import platform
import random
import shutil
import sys
import warnings

import numpy as np

RUN_MODES = ("quick", "full")  # also the names of every configuration's presets
MODE_CHOICES = (*RUN_MODES, "auto")
MODE_ENV = "COURSE_MODE"
QUICK_ENV = "COURSE_QUICK"
# nbgrader sets this while it validates or autogrades; grading always runs quick.
NBGRADER_ENV = "NBGRADER_EXECUTION"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
# The COURSE_MODE value that set_mode wrote, so the mode line can say who chose it.
_set_by_call: str | None = None

_WHAT = {
    "quick": "small data and few epochs, so each notebook runs in minutes on a laptop CPU",
    "full": "the data and epochs that reach the quality each notebook promises, meant for a GPU",
}


# ============================================================================ the GPU, for auto mode
def _gpu_hardware_possible() -> bool:
    """False only where a GPU surely cannot be used: Linux with no NVIDIA, ROCm or WSL GPU device.

    It spares CPU-only machines TensorFlow's import (seconds) in notebooks that never use it.
    """
    if not sys.platform.startswith("linux"):
        return True  # macOS (Metal plugin) and others: ask TensorFlow
    devices = glob.glob("/dev/nvidia[0-9]*") + glob.glob("/dev/kfd") + glob.glob("/dev/dxg")
    return bool(devices or shutil.which("nvidia-smi") or os.path.isdir("/proc/driver/nvidia/gpus"))


@functools.lru_cache(maxsize=1)
def _gpu_names() -> tuple[str, ...] | None:
    """The GPUs TensorFlow can use (asked once per process); None when TensorFlow is not installed."""
    if "tensorflow" not in sys.modules and not _gpu_hardware_possible():
        return () if importlib.util.find_spec("tensorflow") else None
    tf = _import_tensorflow()
    if tf is None:
        return None
    return tuple(d.name.replace("/physical_device:", "") for d in tf.config.list_physical_devices("GPU"))


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={os.environ[name]!r} is neither on nor off: use {name}=1 for quick mode, "
                     f"or unset it")


def _requested() -> tuple[str, str]:
    """The mode asked for (quick, full or auto) and who asked: set_mode, COURSE_MODE, or nobody (auto)."""
    raw = os.environ.get(MODE_ENV, "").strip()
    if not raw:
        return "auto", ""
    mode = raw.lower()
    if mode not in MODE_CHOICES:
        raise ValueError(f"{MODE_ENV}={raw!r} is not a run mode: use {', '.join(MODE_CHOICES)} "
                         f"(or unset it for auto)")
    who = f'cl.set_mode("{mode}")' if _set_by_call == raw else f"{MODE_ENV}={raw}"
    return mode, who


def _decide() -> tuple[str, str, str]:
    """(mode, why it was chosen, how to switch)."""
    if is_grading():
        return "quick", "nbgrader is running this notebook, and grading always runs quick", ""
    if _flag(QUICK_ENV):
        return ("quick", f"{QUICK_ENV}={os.environ[QUICK_ENV].strip()} is set",
                f"unset {QUICK_ENV} (it overrides cl.set_mode and {MODE_ENV})")
    mode, who = _requested()
    if mode == "auto":
        gpus = _gpu_names()
        if gpus:
            mode, why = "full", f"GPU found: {', '.join(gpus)}"
        else:
            mode, why = "quick", "no GPU found" if gpus is not None else "TensorFlow is not installed"
        if who:
            why = f"{who}, {why}"
    else:
        why = who
        if mode == "full" and not _gpu_names():
            why += "; no GPU found, so long cells will take much longer than they say"
    other = "quick" if mode == "full" else "full"
    return mode, why, f'cl.set_mode("{other}") in the next cell, or start Jupyter with {MODE_ENV}={other}'


# ============================================================================ the mode
def run_mode() -> str:
    """Return ``"quick"`` or ``"full"`` (see the module docstring for how it is decided).

    Raises ``ValueError`` for a ``COURSE_MODE`` or ``COURSE_QUICK`` value it does not understand.
    """
    return _decide()[0]


def describe_mode() -> str:
    """One line: the mode, why it was chosen, what it means, and how to switch."""
    mode, why, switch = _decide()
    line = f"{mode.capitalize()} mode ({why}): {_WHAT[mode]}."
    return f"{line} To switch: {switch}." if switch else line


def print_mode() -> None:
    """Print ``describe_mode()``: every notebook's first code cell calls this."""
    print(describe_mode())


def set_mode(mode: str) -> str:
    """Choose ``"quick"``, ``"full"`` or ``"auto"`` for this Python session (and the programs it starts).

    Call it before the cells whose settings depend on the mode, then run them again. nbgrader's
    grading and ``COURSE_QUICK=1`` still force quick mode; the printed line says so. Returns the
    mode now in force.
    """
    global _set_by_call
    if not isinstance(mode, str) or mode.strip().lower() not in MODE_CHOICES:
        raise ValueError(f"set_mode takes one of {', '.join(map(repr, MODE_CHOICES))}, got {mode!r}")
    _set_by_call = os.environ[MODE_ENV] = mode.strip().lower()
    print_mode()
    return run_mode()


def is_quick() -> bool:
    """True in quick mode (grading, ``COURSE_QUICK=1``, or auto mode without a GPU)."""
    return run_mode() == "quick"


def is_grading() -> bool:
    """True while nbgrader runs the notebook (validate or autograde).

    Graded notebooks skip their ungraded demonstrations then: a student sees them, the grader spends no
    time on cells that earn no points.
    """
    return bool(os.environ.get(NBGRADER_ENV))


def pick(*, quick, full):
    """Return ``quick`` in quick mode and ``full`` in full mode.

    >>> epochs = pick(quick=1, full=20)
    """
    return quick if is_quick() else full


def quiet_tensorflow() -> None:
    """Silence TensorFlow's start-up and deprecation chatter, keeping real errors."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"tensorflow.*")
    warnings.filterwarnings("ignore", module=r"keras.*")
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].get_logger().setLevel(logging.ERROR)


THREAD_ENV = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OPENBLAS_NUM_THREADS",
              "MKL_NUM_THREADS")


def share_cores(processes: int) -> int:
    """Give this process, and every process it starts, its share of the cores when ``processes`` processes
    compute side by side: several TensorFlows that each keep one thread per core busy only thrash. Takes effect
    in libraries imported afterwards. Returns the threads per process."""
    threads = max(1, (os.cpu_count() or 1) // max(1, processes))
    for name in THREAD_ENV:
        os.environ[name] = str(threads)
    return threads


def _import_tensorflow():
    """Import TensorFlow quietly, or return None when it is not installed."""
    quiet_tensorflow()
    try:
        import tensorflow as tf
    except ImportError:
        return None
    tf.get_logger().setLevel(logging.ERROR)
    return tf


def set_seed(seed: int = 0, *, tensorflow: bool = True) -> None:
    """Seed Python's ``random``, NumPy and (if installed) TensorFlow/Keras.

    Pass ``tensorflow=False`` in notebooks that never use TensorFlow, to skip
    its few seconds of import time.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if tensorflow:
        tf = _import_tensorflow()
        if tf is not None:
            tf.random.set_seed(seed)
            try:
                import keras

                keras.utils.set_random_seed(seed)
            except ImportError:  # pragma: no cover - keras ships with TF >= 2.16
                pass


def device_report(*, verbose: bool = True) -> dict:
    """Describe the machine: Python, TensorFlow and Keras versions, GPUs, run mode.

    Returns the facts as a dict and, with ``verbose``, prints them.
    """
    report = {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpu_count": os.cpu_count(),
        "run_mode": run_mode(),
        "tensorflow": None,
        "keras": None,
        "gpus": [],
    }
    tf = _import_tensorflow()
    if tf is not None:
        report["tensorflow"] = tf.__version__
        report["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
        try:
            import keras

            report["keras"] = keras.__version__
        except ImportError:  # pragma: no cover
            pass
    if verbose:
        gpu = ", ".join(report["gpus"]) if report["gpus"] else "none (CPU only)"
        print(f"Python      {report['python']} on {report['platform']} ({report['cpu_count']} CPUs)")
        print(f"TensorFlow  {report['tensorflow'] or 'not installed'}")
        print(f"Keras       {report['keras'] or 'not installed'}")
        print(f"GPU         {gpu}")
        print(f"Run mode    {report['run_mode']}")
    return report
