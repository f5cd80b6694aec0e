"""Training a GAN in a run directory: checkpoints, resuming, history, sample grids, a GIF, the loss plot.

One machinery for every GAN of the course: Week 6's DCGAN and the final project's text-to-image
GAN train through the same ``fit_resumable``. A run directory holds

* ``checkpoints/``: G, D, both optimizers (step counters included) after every epoch, written
  atomically, the newest two kept;
* ``history.csv``: one row per finished epoch: ``epoch`` (1, 2, ...) then every metric ``fit`` reports;
* ``samples/epoch-001.png``, ... and ``samples/samples.gif``: what ``SampleGrid`` draws;
* ``losses.png``: the loss curves of the whole run, redrawn at the end of every session.

Interrupt a run (a disconnect, Ctrl+C, a kill) and call ``fit_resumable`` again: it restores
the latest checkpoint and carries on from its epoch. ``fresh=True`` deletes what the run wrote
(``clear_run``) and starts over.
"""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import keras
import numpy as np

from course_lib.data import TANH_RANGE
from course_lib.gan._checkpoint import CheckpointError, RunCheckpoint
from course_lib.gan.model import sample_noise
from course_lib.plotting import finish_figure, plot_image_rows, save_png, tile_images, write_gif

_CHECKPOINT_DIR = "checkpoints"
_HISTORY_FILE = "history.csv"
_SAMPLES_DIR = "samples"
_LOSSES_FILE = "losses.png"
RUN_FILES = (_CHECKPOINT_DIR, _HISTORY_FILE, _SAMPLES_DIR, _LOSSES_FILE)


# ============================================================================ the run directory
def clear_run(run_dir, extra=()) -> None:
    """Start a run over: delete what a run wrote into ``run_dir`` (``RUN_FILES`` and the names in ``extra``).

    Other files in the folder are left alone, so a mistyped ``run_dir`` cannot wipe a project.
    """
    run_dir = Path(run_dir)
    for name in (*RUN_FILES, *extra):
        path = run_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _checkpoint(gan, run_dir) -> RunCheckpoint:
    if not hasattr(gan, "g_optimizer"):
        raise ValueError("compile the GAN (gan.compile(d_optimizer, g_optimizer)) before checkpointing it")
    return RunCheckpoint(Path(run_dir) / _CHECKPOINT_DIR,
                         models={"generator": gan.generator, "discriminator": gan.discriminator},
                         optimizers={"generator": gan.g_optimizer, "discriminator": gan.d_optimizer})


class _SaveCheckpoint(keras.callbacks.Callback):
    """Save G, D, both optimizers and the epoch after every epoch."""

    def __init__(self, run_dir):
        super().__init__()
        self.run_dir = Path(run_dir)

    def on_epoch_end(self, epoch, logs=None):
        gan = self.model
        _checkpoint(gan, self.run_dir).save(epoch + 1, {"step": int(gan.g_optimizer.iterations.numpy())})


def restore_gan(gan, run_dir) -> int:
    """Load the latest checkpoint of ``run_dir`` into a compiled ``gan``; return its epoch (0 when there is none).

    A checkpoint that cannot be read raises ``CheckpointError`` naming the file; nothing is deleted.
    """
    try:
        return _checkpoint(gan, run_dir).restore()
    except CheckpointError as err:
        raise CheckpointError(f"{err}\nIn Python: fit_resumable(..., fresh=True) starts the run over.") from err


def _saved_step(run_dir) -> int | None:
    pointer = Path(run_dir) / _CHECKPOINT_DIR / "latest.json"
    return json.loads(pointer.read_text()).get("step") if pointer.is_file() else None


# ============================================================================ history
class _EpochLog(keras.callbacks.Callback):
    """Append one row per finished epoch (its number from 1, then the metrics) to a CSV file."""

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in sorted((logs or {}).items())}
        new = not self.path.is_file() or self.path.stat().st_size == 0
        with self.path.open("a", newline="") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(["epoch", *logs])
            writer.writerow([epoch + 1, *logs.values()])


def read_history(run_dir) -> dict:
    """Every finished epoch of a run, all sessions, from ``run_dir/history.csv``: column name -> list."""
    path = Path(run_dir) / _HISTORY_FILE
    if not path.is_file():
        return {}
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return {}
    return {key: [int(r[key]) if key == "epoch" else float(r[key]) for r in rows] for key in rows[0]}


def _trim_history(run_dir: Path, epochs_done: int):
    """Drop rows logged after the restored checkpoint (a run killed between log and checkpoint)."""
    path = run_dir / _HISTORY_FILE
    if not path.is_file():
        return
    with path.open() as fh:
        header, *rows = list(csv.reader(fh)) or [[]]
    kept = [row for row in rows if int(row[0]) <= epochs_done]
    if len(kept) < len(rows):
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerows([header, *kept])


# ============================================================================ training
def fit_resumable(gan, x, y=None, *, run_dir, epochs: int, batch_size: int | None = None, callbacks=(),
                  fresh: bool = False, verbose="auto", **fit_kwargs):
    """``gan.fit`` that checkpoints every epoch into ``run_dir`` and resumes from it.

    If ``run_dir`` holds a checkpoint, G, D and both optimizers are restored and training
    continues at the saved epoch, up to ``epochs`` in total; a finished run returns at
    once. ``fresh=True`` deletes what the run wrote (``clear_run``) and starts over.
    ``x`` (and ``y``) go to ``fit`` as they are: arrays with ``batch_size``, or a batched
    ``tf.data.Dataset``. Returns the Keras ``History``, whose ``.history`` holds every epoch
    of the run, earlier sessions included (``read_history``); ``losses.png`` shows them.
    """
    run_dir = Path(run_dir)
    if fresh:
        clear_run(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    start = restore_gan(gan, run_dir)
    _trim_history(run_dir, start)
    if start >= epochs:
        if verbose:
            print(f"{run_dir}: all {epochs} epochs are done already (checkpoint at epoch {start}); "
                  "pass fresh=True to train again")
        history = keras.callbacks.History()
        history.history, history.epoch = read_history(run_dir), list(range(start))
        return history
    if start and verbose:
        print(f"{run_dir}: resuming at epoch {start + 1} of {epochs} (step {_saved_step(run_dir)})")
    history = gan.fit(x, y, batch_size=batch_size, epochs=epochs, initial_epoch=start, verbose=verbose,
                      callbacks=[*callbacks, _EpochLog(run_dir / _HISTORY_FILE), _SaveCheckpoint(run_dir)],
                      **fit_kwargs)
    history.history = read_history(run_dir)
    import matplotlib.pyplot as plt

    plt.close(plot_gan_losses(history, save_to=run_dir / _LOSSES_FILE))
    return history


# ============================================================================ callbacks
class SampleGrid(keras.callbacks.Callback):
    """Save a grid of the generator's output for fixed latent vectors after every epoch.

    Unconditional: ``n`` latent vectors (or ``z``) in rows of ``ncols``. Conditional: one
    row per condition in ``cond``, every row drawn from the same ``ncols`` latent vectors
    (or ``z``), so rows differ only by their condition; ``row_labels`` (a prompt, a class)
    are written at the rows' left.

    ``folder`` receives ``epoch-001.png``, ... and, when training ends, ``gif_name`` made
    from every ``epoch-*.png`` there (so a resumed run's GIF has all epochs).
    ``frames`` keeps ``(epoch, images)`` of this session, for showing in a notebook.
    """

    def __init__(self, folder, z=None, cond=None, *, n: int = 64, ncols: int = 8, seed: int = 0, scale: int = 2,
                 row_labels=None, gif_name: str | None = "samples.gif"):
        super().__init__()
        if row_labels is not None and cond is not None and len(row_labels) != len(cond):
            raise ValueError(f"got {len(row_labels)} row labels for {len(cond)} conditions")
        self.folder, self.z, self.cond, self.row_labels = Path(folder), z, cond, row_labels
        self.n, self.ncols, self.seed, self.scale, self.gif_name = n, ncols, seed, scale, gif_name
        self.frames: list[tuple[int, np.ndarray]] = []

    def _inputs(self, latent_dim: int):
        if self.cond is None:
            z = self.z if self.z is not None else sample_noise(self.n, latent_dim, self.seed)
            return z, None
        row = self.z if self.z is not None else sample_noise(self.ncols, latent_dim, self.seed)
        cond = np.asarray(self.cond, dtype=np.float32)
        return np.tile(row, (len(cond), 1)), np.repeat(cond, len(row), axis=0)

    def on_epoch_end(self, epoch, logs=None):
        z, cond = self._inputs(self.model.latent_dim)
        images = self.model.generate(z, cond)
        path = self.folder / f"epoch-{epoch + 1:03d}.png"
        if self.row_labels is None:
            save_png(tile_images(images, self.ncols, value_range=TANH_RANGE, scale=self.scale), path)
        else:
            import matplotlib.pyplot as plt

            rows = images.reshape((len(self.row_labels), -1) + images.shape[1:])
            plt.close(plot_image_rows(rows, self.row_labels, value_range=TANH_RANGE, save_to=path))
        self.frames.append((epoch + 1, images))

    def on_train_end(self, logs=None):
        pngs = sorted(self.folder.glob("epoch-*.png"))
        if self.gif_name and pngs:
            write_gif(pngs, self.gif_path)

    @property
    def gif_path(self) -> Path:
        return self.folder / (self.gif_name or "samples.gif")


class AnnealInstanceNoise(keras.callbacks.Callback):
    """Lower the GAN's instance noise linearly to 0 over ``epochs`` epochs (from its start value)."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs, self.start = max(1, int(epochs)), None

    def on_epoch_begin(self, epoch, logs=None):
        if self.start is None:
            self.start = float(self.model.instance_noise.numpy())
        self.model.instance_noise.assign(self.start * max(0.0, 1.0 - epoch / self.epochs))


# ============================================================================ the loss plot
def plot_gan_losses(history, *, title: str | None = None, save_to=None):
    """Two panels: D's and G's losses, and D's mean probability on real and on generated images.

    ``history`` is a Keras ``History``, its ``.history`` dict or ``read_history(run_dir)``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    hist = getattr(history, "history", history)
    if not hist or "d_loss" not in hist:
        raise ValueError("expected the history of a GAN's fit(), with d_loss and g_loss")
    epochs = hist.get("epoch") or np.arange(1, len(hist["d_loss"]) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.4))
    ax1.plot(epochs, hist["d_loss"], "o-", ms=3, label="discriminator")
    ax1.plot(epochs, hist["g_loss"], "o-", ms=3, label="generator")
    ax1.set_title("losses")
    if "d_real" in hist:
        ax2.plot(epochs, hist["d_real"], "o-", ms=3, label="D(x), real")
        ax2.plot(epochs, hist["d_fake"], "o-", ms=3, label="D(G(z)), generated")
        ax2.axhline(0.5, color="gray", lw=1, ls="--")
        ax2.set_ylim(0, 1)
        ax2.set_title("discriminator's mean probability of 'real'")
    for ax in (ax1, ax2):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return finish_figure(fig, title=title, save_to=save_to)
