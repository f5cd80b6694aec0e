"""Where the small pretrained models that ship with the course live: ``course_lib/pretrained/``.

Two models ship, each made by the course's own commands (``course pretrained --help``) and each
under 10 MB: the judge (Week 3's digit classifier, for ``course evaluate``) and a full-preset
text2image model (so ``course generate`` draws before any training). Package data: see
``pyproject.toml``.
"""
from __future__ import annotations

from pathlib import Path

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"


def pretrained_path(name: str) -> Path:
    """The file or folder ``name`` among the shipped pretrained models (it may not exist)."""
    return PRETRAINED_DIR / name
