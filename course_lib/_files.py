"""Writing a file so that nobody ever reads half of it: write to a temporary name beside it, then rename.

The temporary name is unique to the process (two notebooks, graders or app workers may build the same
cached file at once) and keeps the file's suffix (Keras wants ``.keras``; NumPy appends ``.npz`` otherwise).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_atomically(path):
    """``with replaced_atomically(path) as tmp: save(tmp)``: ``path`` appears complete, or not at all.

    Creates the parent folder; on an error the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.partial{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
