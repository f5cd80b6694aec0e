"""Run a submission so that one broken answer costs only its own exercise.

nbgrader's ``Execute`` gives up on the whole notebook when the kernel dies (``os._exit(1)``, a crash in C,
running out of memory): every exercise scores zero. :class:`ResilientExecute` (configured in
``nbgrader_config.py`` in its place) instead

* marks the cell that killed the kernel as failed, with the reason,
* starts a fresh kernel, re-runs the cells before it quietly (so later cells find the student's functions),
  and carries on with the next cell;
* kills a kernel that grows past ``memory_limit_gb`` (a runaway allocation would otherwise take the
  grading machine, and every other student graded on it, down with it), and one that does not come back
  after a timed-out cell was interrupted (an infinite loop that swallows ``KeyboardInterrupt``);
* starts kernels that ignore files beside the notebook on ``sys.path``, so a submitted ``numpy.py`` cannot
  stand in for NumPy;
* tries again when a kernel dies before it answers its first request. No student code has run then: the
  machine failed (seen once on a busy one, with many kernels starting at once), and the student would
  otherwise score zero for it.
"""
from __future__ import annotations

import copy
import os
import threading
import time
from queue import Empty

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer


class _KernelStuck(Exception):
    pass


class _MemoryWatchdog:
    """Kills the kernel (and its children) when their resident memory passes a limit."""

    def __init__(self, pid: int | None, limit_bytes: float, interval_s: float = 0.2):
        self.reason: str | None = None
        self._stop = threading.Event()
        self._pid, self._limit, self._interval = pid, limit_bytes, interval_s
        if pid and limit_bytes > 0:
            threading.Thread(target=self._watch, daemon=True, name="kernel-memory-watchdog").start()

    def _watch(self) -> None:
        import psutil

        try:
            kernel = psutil.Process(self._pid)
        except psutil.Error:
            return
        while not self._stop.wait(self._interval):
            try:
                processes = [kernel] + kernel.children(recursive=True)
                used = sum(p.memory_info().rss for p in processes)
            except psutil.Error:
                return
            if used > self._limit:
                self.reason = (f"it used more than {self._limit / 2**30:.1f} GB of memory, the limit for one "
                               "submission, so the grader stopped it")
                for process in reversed(processes):
                    try:
                        process.kill()
                    except psutil.Error:
                        pass
                return

    def stop(self) -> None:
        self._stop.set()


def _error_output(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


class ResilientExecute(Execute):
    """nbgrader's Execute, surviving a dying or stuck kernel and a runaway allocation; see the module doc."""

    memory_limit_gb = Float(
        0.0, help="Kill a kernel whose memory passes this many GB (0: a quarter of this machine's memory)."
    ).tag(config=True)
    max_restarts = Integer(
        6, help="Give up on a notebook (the remaining cells score zero) after this many kernel restarts."
    ).tag(config=True)
    stuck_after_s = Integer(
        20, help="After a timed-out cell is interrupted, restart a kernel that stays busy this long."
    ).tag(config=True)
    _interrupted_at: float | None = None  # when the running cell timed out and was interrupted
    _configured_iopub_timeout: int | None = None
    start_attempts = Integer(
        3, help="Start a kernel this many times before giving up when it dies before answering (no student "
                "code has run then)."
    ).tag(config=True)

    def _memory_limit_bytes(self) -> float:
        if self.memory_limit_gb > 0:
            return self.memory_limit_gb * 2**30
        import psutil

        return psutil.virtual_memory().total / 4

    def _kernel_env(self) -> dict:
        # A student's numpy.py (or course_lib/) beside the notebook must not shadow the real package.
        return dict(os.environ, PYTHONSAFEPATH="1")

    def preprocess(self, nb, resources=None, km=None):
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        if "--InteractiveShellApp.ignore_cwd=True" not in self.extra_arguments:
            self.extra_arguments = [*self.extra_arguments, "--InteractiveShellApp.ignore_cwd=True"]
        failed: dict[int, str] = {}  # cell index -> why the kernel died there
        resume_at, restarts = 0, 0
        while True:
            current = {"index": resume_at}
            self._start_kernel()
            with self.setup_kernel():
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                watchdog = _MemoryWatchdog(getattr(self.km.provisioner, "pid", None), self._memory_limit_bytes())
                try:
                    self._replay(resume_at, failed, current)
                    for index in range(resume_at, len(self.nb.cells)):
                        current["index"] = index
                        cell = self.nb.cells[index]
                        self._after_interrupt(done=True)
                        self.preprocess_cell(cell, resources, index)
                        if self._timed_out(cell) and not self._responsive():
                            raise _KernelStuck()
                    break
                except (DeadKernelError, _KernelStuck, CellTimeoutError) as death:
                    index = current["index"]
                    if isinstance(death, (_KernelStuck, CellTimeoutError)):
                        why = ("it ran past the time limit and did not stop when interrupted, so the grader "
                               "restarted the kernel")
                    else:
                        why = watchdog.reason or "the kernel died while it ran (for example os._exit, or a crash)"
                    failed[index] = why
                    ename = "KernelStuck" if isinstance(death, (_KernelStuck, CellTimeoutError)) else "KernelDied"
                    self._mark(self.nb.cells[index], ename, f"This cell was stopped: {why}. "
                               "The grader restarted the kernel, re-ran the cells above it and went on.")
                    self.log.warning("Cell %d stopped (%s); restarting the kernel", index, why)
                    resume_at, restarts = max(resume_at, index + 1), restarts + 1
                finally:
                    watchdog.stop()
                    self._after_interrupt(done=True)
            if restarts > self.max_restarts:
                for cell in self.nb.cells[resume_at:]:
                    self._mark(cell, "NotRun", "not run: the kernel was restarted too many times in this notebook")
                break
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _start_kernel(self) -> None:
        """Start a kernel and its client, trying again if the kernel dies before it answers."""
        for attempt in range(1, self.start_attempts + 1):
            self.km = self.create_kernel_manager()
            try:
                self.start_new_kernel(env=self._kernel_env())
                self.start_new_kernel_client()  # waits for the kernel's first answer; cleans up if it fails
                return
            except (RuntimeError, TimeoutError) as failure:
                if self.km is not None and self.km.has_kernel:
                    self._cleanup_kernel()
                self.km, self.kc = None, None
                if attempt == self.start_attempts:
                    raise
                self.log.warning("The kernel failed to start (%s); starting it again (attempt %d of %d)",
                                 failure, attempt + 1, self.start_attempts)
                time.sleep(attempt)

    def _replay(self, upto: int, failed: dict, current: dict) -> None:
        """Re-run cells before ``upto`` in the fresh kernel, keeping their recorded outputs."""
        for index in range(upto):
            if index in failed or self.nb.cells[index].cell_type != "code":
                continue
            current["index"] = index
            self.execute_cell(copy.deepcopy(self.nb.cells[index]), index, store_history=False)

    @staticmethod
    def _mark(cell, ename: str, message: str) -> None:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
            cell.outputs.append(_error_output(ename, message))

    def _timed_out(self, cell) -> bool:
        return cell.cell_type == "code" and any(
            o.get("output_type") == "error" and o.get("ename") == self.error_on_timeout.get("ename")
            for o in cell.outputs)

    async def _async_handle_timeout(self, timeout: int, cell=None):
        self._after_interrupt(done=False)
        return await super()._async_handle_timeout(timeout, cell)

    def _after_interrupt(self, *, done: bool) -> None:
        """An interrupted cell's last output comes within ``stuck_after_s`` or never (a loop that swallows the
        interrupt), so until the cell is over, wait no longer for it: the full ``iopub_timeout`` is meant for a
        finished cell's late output, and :meth:`_responsive` waits after it. ``done``: the cell is over."""
        if done:
            if self._configured_iopub_timeout is not None:
                self.iopub_timeout = self._configured_iopub_timeout
            self._configured_iopub_timeout = self._interrupted_at = None
        else:
            self._interrupted_at = time.monotonic()
            if self._configured_iopub_timeout is None:
                self._configured_iopub_timeout = self.iopub_timeout
            self.iopub_timeout = min(self._configured_iopub_timeout, self.stuck_after_s)

    def _responsive(self) -> bool:
        """After an interrupted timeout: does the kernel run an empty cell within ``stuck_after_s`` of the
        interrupt (and at least a few seconds from now)? (An execute request waits behind a cell still running;
        a kernel_info request may not.)"""
        msg_id = self.kc.execute("", silent=True, store_history=False)
        since = self._interrupted_at if self._interrupted_at is not None else time.monotonic()
        deadline = max(since + self.stuck_after_s, time.monotonic() + 3)
        get_msg = run_sync(self.kc.shell_channel.get_msg)
        while time.monotonic() < deadline:
            try:
                msg = get_msg(timeout=1)
            except Empty:
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return True
        return False
