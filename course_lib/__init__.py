"""course_lib: the shared reference code of *GANs for Creative Applications*.

Notebooks import it the way Dive into Deep Learning imports ``d2l``::

    import course_lib as cl
    cl.print_mode()          # quick or full, why, and how to switch
    cl.set_seed(0)
    epochs = cl.pick(quick=1, full=20)

Modules are small and each about one idea: ``runtime`` (mode, seeds, devices),
``data`` (the course digits and their value ranges), ``plotting`` (image grids),
then one module or subpackage per idea of a later week: ``regression``,
``optimizers``, ``cnn``, ``convolution``, ``gan``, ``text``, ``metrics`` and
``text2image``. ``course_lib/README.md`` maps each week to its modules.
"""
import os

# TensorFlow prints C++ start-up noise unless told otherwise before it is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from course_lib.runtime import (  # noqa: E402
    describe_mode,
    device_report,
    is_grading,
    is_quick,
    pick,
    print_mode,
    quiet_tensorflow,
    run_mode,
    set_mode,
    set_seed,
)

__version__ = "0.1.0"

__all__ = [
    "describe_mode",
    "device_report",
    "is_grading",
    "is_quick",
    "pick",
    "print_mode",
    "quiet_tensorflow",
    "run_mode",
    "set_mode",
    "set_seed",
]
