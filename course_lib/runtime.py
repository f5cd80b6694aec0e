"""Run mode (quick or full), seeding, TensorFlow quieting and the device report.

Every long computation in the course reads the mode from here, so no notebook
has to look at environment variables itself.
"""
from __future__ import annotations

import logging
import os
import platform
import random
import sys
import warnings

import numpy as np

RUN_MODES = ("quick", "full")  # also the names of every configuration's presets
QUICK_ENV = "COURSE_QUICK"
# nbgrader sets this while it validates or autogrades; grading always runs quick.
NBGRADER_ENV = "NBGRADER_EXECUTION"
_TRUE = {"1", "true", "yes", "on"}


def run_mode() -> str:
    """Return ``"quick"`` or ``"full"``.

    Quick when ``COURSE_QUICK`` is 1/true/yes/on, or while nbgrader executes the
    notebook (``NBGRADER_EXECUTION`` is set). Full otherwise.
    """
    if os.environ.get(NBGRADER_ENV):
        return "quick"
    if os.environ.get(QUICK_ENV, "").strip().lower() in _TRUE:
        return "quick"
    return "full"


def is_quick() -> bool:
    """True in quick mode (CI, grading, or ``COURSE_QUICK=1``)."""
    return run_mode() == "quick"


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
