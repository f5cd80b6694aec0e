"""Serve the web app: from the command line (``course app``, ``make app``) or inline in a notebook.

The app binds the loopback address (127.0.0.1) unless told otherwise, and makes no public link
unless ``share=True`` (``--share``), the documented way on Colab. Nothing reaches the internet:
Gradio's telemetry and version check are off and the page uses the browser's own fonts. Only
``share=True`` goes online (Gradio's tunnel, which it downloads the first time).
"""
from __future__ import annotations

import os
from pathlib import Path

from course_lib.app.served_model import ServedModel

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860  # Gradio's; ``port=None`` takes the first free one from here
QUEUE_SIZE = 64  # requests waiting beyond this are refused with a "queue full" message, not lost silently
CONCURRENCY = 4  # events processed at once; the model itself draws one request at a time
_launched: list = []  # the apps this process serves: launching again (a notebook cell re-run) replaces them


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ != "TerminalInteractiveShell"


def launch(run_dir=None, *, host: str = DEFAULT_HOST, port: int | None = None, share: bool = False,
           inline: bool | None = None, block: bool | None = None, quiet: bool = False):
    """Build the app for ``run_dir`` (``None``: ``runs/text2image``) and serve it; return the Gradio Blocks.

    * ``inline``: show the app inside the notebook's output (default: when running in a notebook);
    * ``block``: wait here until Ctrl-C (default: unless inline, so a notebook cell returns);
    * ``port=None``: the first free port from 7860.

    ``app.close()`` stops it; launching again in the same process stops the app launched before.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before Gradio reads it: offline, no telemetry
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise RuntimeError("the app needs Gradio, the [app] extra: pip install -e \".[app]\" (make app installs it)"
                           ) from None

    from course_lib.app.blocks import APP_CSS, app_theme, build_app

    inline = _in_notebook() if inline is None else bool(inline)
    block = not inline if block is None else bool(block)
    while _launched:
        _launched.pop().close()
    model = run_dir if isinstance(run_dir, ServedModel) else ServedModel(run_dir)
    app = build_app(model)
    app.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    try:
        app.launch(server_name=host, server_port=port, share=bool(share), inline=inline, prevent_thread_lock=True,
                   quiet=quiet, show_error=False, ssr_mode=False, mcp_server=False, theme=app_theme(), css=APP_CSS,
                   footer_links=["api", "settings"], height=900)
    except OSError as err:
        where = f"{host}:{port}" if port else f"{host}, ports {DEFAULT_PORT}-{DEFAULT_PORT + 99}"
        raise OSError(f"cannot serve the app on {where} ({err}). Another program may be using the port: "
                      "choose another with --port (port= in Python).") from None
    _launched.append(app)
    if not quiet:
        print(f"course app: serving {Path(model.run_dir)} at {app.local_url}"
              + (f" and {app.share_url}" if share and app.share_url else ""))
    if block:
        app.block_thread()
    return app
