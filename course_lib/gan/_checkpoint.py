"""Epoch checkpoints for two-network training: resume where an interrupted run stopped.

Private to ``course_lib.gan.training``, which keeps one in ``run_dir/checkpoints``.

Colab runtimes disconnect, laptops sleep, people press Ctrl+C. A ``RunCheckpoint``
keeps, in one run directory, the weights of any named models, their optimizers'
state and the number of finished epochs. Writing is atomic: a new checkpoint goes
into its own folder and only then does ``latest.json`` point to it, so a run killed
while saving still has the previous checkpoint.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np


class CheckpointError(RuntimeError):
    """A checkpoint exists but cannot be read or does not fit the models."""


class RunCheckpoint:
    """Save and restore ``models`` (name -> keras.Model) and ``optimizers`` (name -> optimizer)."""

    def __init__(self, directory, models: dict, optimizers: dict, keep: int = 2):
        self.directory = Path(directory)
        self.models, self.optimizers, self.keep = models, optimizers, keep

    @property
    def pointer(self) -> Path:
        return self.directory / "latest.json"

    def exists(self) -> bool:
        return self.pointer.is_file()

    def latest_epoch(self) -> int:
        """Finished epochs in the latest checkpoint (0 when there is none)."""
        if not self.exists():
            return 0
        return int(self._read_pointer()["epoch"])

    def _read_pointer(self) -> dict:
        try:
            info = json.loads(self.pointer.read_text())
            int(info["epoch"]), str(info["folder"])
        except (ValueError, KeyError, TypeError, OSError) as err:
            raise CheckpointError(
                f"{self.pointer}: unreadable checkpoint pointer ({err}). The run directory was left as it is; "
                "start over with --fresh, or delete the file to resume from nothing."
            ) from err
        return info

    def save(self, epoch: int, extra: dict | None = None) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        folder = self.directory / f"epoch-{epoch:04d}"
        partial = self.directory / f".partial-{epoch:04d}"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        for name, model in self.models.items():
            model.save_weights(partial / f"{name}.weights.h5")
        for name, opt in self.optimizers.items():
            np.savez(partial / f"{name}.optimizer.npz", *[np.asarray(v.numpy()) for v in opt.variables])
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(partial, folder)
        tmp = self.pointer.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"epoch": int(epoch), "folder": folder.name, **(extra or {})}))
        os.replace(tmp, self.pointer)
        self._prune()
        return folder

    def _prune(self):
        folders = sorted(self.directory.glob("epoch-*"))
        for old in folders[: max(0, len(folders) - self.keep)]:
            shutil.rmtree(old, ignore_errors=True)

    def restore(self) -> int:
        """Load the latest checkpoint into the models and optimizers; return its epoch (0 if none)."""
        if not self.exists():
            return 0
        info = self._read_pointer()
        folder = self.directory / info["folder"]
        try:
            for name, model in self.models.items():
                model.load_weights(folder / f"{name}.weights.h5")
            for name, opt in self.optimizers.items():
                model_vars = self.models_for_optimizer(name)
                if not opt.built:
                    opt.build(model_vars)
                with np.load(folder / f"{name}.optimizer.npz") as saved:
                    values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
                if len(values) != len(opt.variables):
                    raise ValueError(f"optimizer {name!r} has {len(opt.variables)} variables, "
                                     f"the checkpoint {len(values)}")
                for var, value in zip(opt.variables, values):
                    # the rate is a setting, not state: a resumed run trains at the rate it is given now,
                    # the one its configuration says, not the one it started with
                    if not var.path.endswith("learning_rate"):
                        var.assign(value)
        except CheckpointError:
            raise
        except Exception as err:  # noqa: BLE001 - h5, zip and shape errors all mean the same here
            raise CheckpointError(
                f"{folder}: cannot restore this checkpoint ({type(err).__name__}: {err}). "
                "Nothing was deleted; start over with --fresh or use another --run-dir."
            ) from err
        return int(info["epoch"])

    # Each optimizer belongs to the model of the same name ("generator" -> "generator").
    def models_for_optimizer(self, name: str):
        model = self.models.get(name)
        if model is None:
            raise CheckpointError(f"no model named {name!r} for optimizer {name!r}")
        return model.trainable_variables
