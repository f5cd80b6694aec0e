"""The grader's executor (course_lib.grading.execute) when the machine, not the student, fails.

A kernel that dies before it answers its first request has run none of the student's code (seen once in the
class test on a busy machine, with many kernels starting at once). The executor starts it again instead of
scoring the whole notebook zero. These tests use kernels that die at start-up on purpose: once, and every time.
"""
import json
import sys

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_lib.grading.execute import ResilientExecute

pytestmark = pytest.mark.nbgrader

# Dies at start-up while the counter file holds fewer than `dies` starts; then it is a normal ipykernel.
FLAKY_KERNEL = """import pathlib, sys
counter = pathlib.Path(sys.argv[1])
starts = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(starts))
if starts <= int(sys.argv[2]):
    sys.exit(1)
from ipykernel import kernelapp
kernelapp.launch_new_instance(argv=sys.argv[3:])
"""


@pytest.fixture
def flaky_kernel(tmp_path, monkeypatch):
    """Install a kernel named 'flaky' that dies on its first `dies` starts; return a function that sets
    `dies` and gives the file that counts the starts."""
    script = tmp_path / "flaky_kernel.py"
    script.write_text(FLAKY_KERNEL)
    counter = tmp_path / "starts.txt"
    spec_dir = tmp_path / "jupyter" / "kernels" / "flaky"
    spec_dir.mkdir(parents=True)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))

    def install(dies: int):
        argv = [sys.executable, str(script), str(counter), str(dies), "-f", "{connection_file}"]
        (spec_dir / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "flaky",
                                                          "language": "python"}))
        return counter
    return install


def run(tmp_path, **config):
    nb = new_notebook(cells=[new_code_cell("answer = 6 * 7\nprint(answer)")],
                      metadata={"kernelspec": {"name": "flaky", "display_name": "flaky", "language": "python"}})
    executor = ResilientExecute(kernel_name="flaky", timeout=120, startup_timeout=60, **config)
    executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    return nb


def test_a_kernel_that_dies_at_start_up_is_started_again(tmp_path, flaky_kernel):
    starts = flaky_kernel(dies=1)
    nb = run(tmp_path)
    assert starts.read_text() == "2", "the kernel should have been started twice"
    assert nb.cells[0].outputs[0]["text"].strip() == "42"


def test_a_kernel_that_never_starts_fails_after_the_set_number_of_attempts(tmp_path, flaky_kernel):
    starts = flaky_kernel(dies=99)
    with pytest.raises(RuntimeError, match="[Kk]ernel died"):
        run(tmp_path, start_attempts=2)
    assert starts.read_text() == "2"


class _Recording(ResilientExecute):
    """Records the output wait in force each time the executor asks whether an interrupted kernel came back."""

    def _responsive(self) -> bool:
        self.iopub_waits_seen = [*getattr(self, "iopub_waits_seen", []), self.iopub_timeout]
        return super()._responsive()


def test_a_timed_out_cell_costs_its_cell_and_a_stuck_kernel_only_the_grace_period(tmp_path):
    """A loop that swallows the interrupt: its last output is awaited for ``stuck_after_s``, not the full
    ``iopub_timeout`` (meant for a finished cell's late output) on top of it; the kernel is restarted, the cells
    above re-run, the next cell runs. A loop that stops when interrupted keeps its kernel. Afterwards the
    configured ``iopub_timeout`` is back."""
    swallows = "import time\nwhile True:\n    try:\n        time.sleep(0.2)\n    except BaseException:\n        pass\n"
    cells = ["import os\nx = 41", swallows, "print(x + 1)\npid = os.getpid()", "while True:\n    pass",
             "print(x + 2, os.getpid() == pid)"]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    executor = _Recording(kernel_name="python3", timeout=3, startup_timeout=120, stuck_after_s=4, iopub_timeout=300,
                          interrupt_on_timeout=True, raise_on_iopub_timeout=False)  # as nbgrader_config.py
    executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert executor.iopub_waits_seen == [4, 4]
    assert executor.iopub_timeout == 300
    assert any(o.get("ename") == "KernelStuck" for o in nb.cells[1].outputs)
    assert nb.cells[2].outputs[0]["text"].strip() == "42"  # a new kernel, with the cells above re-run
    assert not any(o.get("ename") == "KernelStuck" for o in nb.cells[3].outputs)
    assert nb.cells[4].outputs[0]["text"].strip() == "43 True"  # the same kernel after the interrupted loop
