"""The sanitiser's reading of student cells: what changes the grading environment, and what does not."""
import pytest

from course_lib.grading.static_check import find_tampering, top_level_bindings

SETUP = """\
import keras
import numpy as np
import tensorflow as tf
from keras import layers
import course_lib as cl
from course_lib.grading import Checker
checker = Checker()
rng = np.random.default_rng(0)
def small_pair(seed):
    return seed
"""
PROTECTED = top_level_bindings(SETUP)


def test_locked_cells_bindings_record_modules_and_names():
    assert PROTECTED["np"] == "numpy"
    assert PROTECTED["layers"] == "keras.layers"
    assert PROTECTED["checker"] is None and PROTECTED["rng"] is None and PROTECTED["small_pair"] is None


@pytest.mark.parametrize("source", [
    "def conv(x, k):\n    out = np.zeros((3, 3))\n    out[0] = 1\n    return out\n",
    "import numpy as np\nimport tensorflow as tf\nfrom tensorflow import keras\n",  # same modules again
    "class DCGAN(keras.Model):\n    def __init__(self, g):\n        super().__init__()\n        self.g = g\n"
    "        setattr(self, 'h', 1)\n",
    "def train_step(G, D, rng):\n    G.trainable = False\n    rng = 3\n    return rng\n",  # locals shadow
    "%matplotlib inline\n!pip list\nimport matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (4, 4)\n",
    "from course_lib.convolution import conv2d_transpose\n",  # delegation is caught at run time, with a reason
    "import os\nos._exit(1)\n",  # kills the kernel: the executor's business, not tampering
    "def broken(:\n",  # a syntax error is the kernel's to report
    "from IPython.display import display\nx = [i * i for i in range(3)]\nwhile False:\n    pass\n",
])
def test_ordinary_student_code_is_not_flagged(source):
    assert find_tampering(source, PROTECTED) == []


@pytest.mark.parametrize("source, words", [
    ("np.isclose = lambda *a, **k: True\n", "np.isclose"),
    ("np.random.seed = None\n", "np.random.seed"),
    ("f = np\nf.allclose = print\n", "f.allclose"),
    ("setattr(np, 'isclose', print)\n", "setattr"),
    ("rng = np.random.default_rng(5)\n", "rebinds `rng`"),
    ("def small_pair(seed):\n    return None\n", "rebinds `small_pair`"),
    ("checker.verify = lambda: None\n", "checker.verify"),
    ("import jax.numpy as np\n", "rebinds `np`"),
    ("def f():\n    global rng\n    rng = 1\n", "global rng"),
    ("get_ipython().set_custom_exc((Exception,), print)\n", "get_ipython"),
    ("from IPython import get_ipython\n", "IPython.get_ipython"),
    ("import course_lib.grading as g\n", "course_lib.grading"),
    ("from course_lib import grading\n", "course_lib.grading"),
    ("def f(): pass\nf.__code__ = print.__code__\n", "__code__"),
    ("import sys\nsys.modules['numpy'].isclose = print\n", "sys.modules"),
    ("type(rng).normal = None\n", "through an expression"),
    ("exec('np.isclose = print')\n", "exec"),
    ("from numpy import *\n", "import *"),
    ("def f():\n    import numpy\n    numpy.isclose = print\n", "numpy.isclose"),
    ("layers.Dense = None\n", "layers.Dense"),
    ("import builtins\n", "builtins"),
    ("%run helper.py\n", "%run"),
    ("del np.isclose\n", "deletes"),
])
def test_tampering_is_flagged_with_its_line(source, words):
    findings = find_tampering(source, PROTECTED)
    assert findings, f"not flagged: {source!r}"
    assert any(words in str(f) for f in findings), [str(f) for f in findings]
    assert all(f.line >= 1 for f in findings)


def test_names_defined_only_in_student_cells_are_free_to_rebind():
    assert find_tampering("bce = 1\nbce = 2\n", PROTECTED) == []
