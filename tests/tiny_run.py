"""The tiny text2image run that the command-line, app and browser tests share.

Training it costs about as much as a dozen of the tests that use it, so it is trained once per test session and
worker, in a subprocess as `course train` would, by whichever test needs it first. The three modules that use it are
one pytest-xdist group (``GROUP``), so a parallel run trains it once. Tests that change a run work on a copy.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from course_files import quick_environment

GROUP = "tiny_text2image_run"
# Without XLA: its compiling costs each process that trains this run 5-10 s and gains nothing on 8 steps; the
# model tests train through XLA, the preset's default.
TINY = dict(g_filters=16, d_filters=8, d_features=16, batch_size=32, latent_dim=8, text_proj_dim=8, max_images=256,
            jit_compile=False)


def app_environment(root: Path) -> dict:
    """Quick mode, an empty course data dir, no download, and Gradio's own settings as a user has them."""
    env = dict(os.environ, **quick_environment(root))
    for name in ("COURSE_ALLOW_DOWNLOAD", "GRADIO_ANALYTICS_ENABLED", "GRADIO_SERVER_PORT", "GRADIO_SHARE"):
        env.pop(name, None)
    return env


def trained_tiny_run(tmp_path_factory) -> tuple[Path, dict]:
    """A one-epoch run on a subset of the 8x8 digits and the environment it was trained in (the first caller
    trains)."""
    root = tmp_path_factory.getbasetemp() / "tiny_text2image_run"
    env = app_environment(root)
    run_dir = root / "run"
    if not (root / "trained").exists():
        script = f"""
            from course_lib import text2image as t2i
            t2i.train({str(run_dir)!r}, t2i.Text2ImageConfig.preset("quick", num_epochs=1, **{TINY!r}),
                      source="digits8x8", verbose=0)
        """
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env, capture_output=True,
                              text=True, timeout=1200)
        assert proc.returncode == 0, proc.stderr[-3000:]
        (root / "trained").touch()
    return run_dir, env
