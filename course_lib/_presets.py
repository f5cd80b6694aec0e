"""The one preset API of every configuration: ``Config.preset(name=None, **overrides)``.

Each configuration is a frozen dataclass that inherits ``Presets`` and lists its presets, quick
and full side by side, in ``presets`` right after the class (its instances cannot exist before).
"""
from __future__ import annotations

from dataclasses import asdict, replace
from typing import ClassVar

from course_lib.runtime import run_mode


class Presets:
    """Mixin for a frozen configuration dataclass with named presets."""

    presets: ClassVar[dict] = {}

    @classmethod
    def preset(cls, name: str | None = None, **overrides):
        """The preset ``name`` (default: the run mode's, ``"quick"`` or ``"full"``) with some fields changed."""
        name = name or run_mode()
        if name not in cls.presets:
            raise ValueError(f"unknown {cls.__name__} preset {name!r}: choose {' or '.join(cls.presets)}")
        return replace(cls.presets[name], **overrides)

    def summary(self) -> str:
        """One line with every setting, for notebooks and benchmarks."""
        return ", ".join(f"{k}={v}" for k, v in asdict(self).items())
