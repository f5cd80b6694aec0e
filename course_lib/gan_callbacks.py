"""Watching and keeping a GAN while it trains: sample grids, a GIF, checkpoints, resuming.

* ``SampleGrid``: after every epoch, draws the *same* latent vectors and saves the
  grid as ``epoch-001.png``, ``epoch-002.png``, ...; at the end of training it
  turns all of them into one GIF, so you watch the same digits take shape.
* ``GANCheckpoint`` / ``restore_gan``: weights of G and D, both optimizers' state
  and the epoch and step counters, written into a run directory after every epoch
  (atomically, with ``course_lib.checkpoints.RunCheckpoint``).
* ``fit_resumable``: ``fit`` that first restores the run directory and carries on
  from the saved epoch (``initial_epoch``), logging every epoch to ``history.csv``
  (``EpochLog``, read back with ``read_history``).
  Interrupt it (a disconnect, Ctrl+C, a kill) and call it again: it resumes.
* ``plot_gan_losses``: the loss curves of a run.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import keras
import numpy as np

from course_lib.checkpoints import CheckpointError, RunCheckpoint
from course_lib.gan import sample_noise

CHECKPOINT_SUBDIR = "checkpoints"
HISTORY_FILE = "history.csv"


# ============================================================================ sample grids
def tile_images(images, ncols: int = 8, *, pad: int = 1, scale: int = 1) -> np.ndarray:
    """Tile (N, H, W[, 1]) images in [-1, 1] (or [0, 1]) into one uint8 picture, 0-255."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or len(x) == 0:
        raise ValueError(f"expected a non-empty batch of grey images (N, H, W[, 1]), got shape {np.shape(images)}")
    if x.min() < 0:
        x = (x + 1.0) / 2.0
    x = np.clip(x, 0.0, 1.0)
    n, h, w = x.shape
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    sheet = np.ones((nrows * (h + pad) + pad, ncols * (w + pad) + pad), np.float32) * 0.5
    for i in range(n):
        r, c = divmod(i, ncols)
        sheet[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[i]
    sheet = (sheet * 255).round().astype(np.uint8)
    return sheet.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else sheet


def save_png(picture: np.ndarray, path) -> Path:
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(path)
    return path


def write_gif(frames, path, *, duration_ms: int = 300, hold_last_ms: int = 1500) -> Path:
    """Write pictures (uint8 arrays, or paths of PNG files) as an endlessly looping GIF."""
    from PIL import Image

    pictures = [Image.open(f).convert("L") if isinstance(f, (str, Path)) else Image.fromarray(np.asarray(f))
                for f in frames]
    if not pictures:
        raise ValueError("no frames to write: train at least one epoch with a SampleGrid callback")
    durations = [duration_ms] * (len(pictures) - 1) + [hold_last_ms]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=durations, loop=0)
    return path


class SampleGrid(keras.callbacks.Callback):
    """Save a grid of the generator's output for fixed latent vectors after every epoch.

    ``folder`` receives ``epoch-001.png``, ... and, when training ends, ``gif_name``
    made from every ``epoch-*.png`` there (so a resumed run's GIF has all epochs).
    ``frames`` keeps ``(epoch, picture)`` of this session for showing in a notebook.
    """

    def __init__(self, folder, z=None, cond=None, *, n: int = 64, ncols: int = 8, seed: int = 0,
                 scale: int = 2, gif_name: str | None = "samples.gif"):
        super().__init__()
        self.folder, self.z, self.cond = Path(folder), z, cond
        self.n, self.ncols, self.seed, self.scale, self.gif_name = n, ncols, seed, scale, gif_name
        self.frames: list[tuple[int, np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None):
        gan = self.model
        if self.z is None:
            self.z = sample_noise(self.n, gan.latent_dim, self.seed)
        images = gan.generate(self.z, self.cond)
        picture = tile_images(images, self.ncols, scale=self.scale)
        save_png(picture, self.folder / f"epoch-{epoch + 1:03d}.png")
        self.frames.append((epoch + 1, images))

    def on_train_end(self, logs=None):
        pngs = sorted(self.folder.glob("epoch-*.png"))
        if self.gif_name and pngs:
            write_gif(pngs, self.folder / self.gif_name)

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


# ============================================================================ checkpoints
def gan_checkpoint(gan, run_dir) -> RunCheckpoint:
    """The ``RunCheckpoint`` of a compiled GAN in ``run_dir/checkpoints``."""
    if not hasattr(gan, "g_optimizer"):
        raise ValueError("compile the GAN (gan.compile(d_optimizer, g_optimizer)) before checkpointing it")
    return RunCheckpoint(Path(run_dir) / CHECKPOINT_SUBDIR,
                         models={"generator": gan.generator, "discriminator": gan.discriminator},
                         optimizers={"generator": gan.g_optimizer, "discriminator": gan.d_optimizer})


class GANCheckpoint(keras.callbacks.Callback):
    """Save G, D, both optimizers (their step counters included) and the epoch after every epoch."""

    def __init__(self, run_dir):
        super().__init__()
        self.run_dir = Path(run_dir)

    def on_epoch_end(self, epoch, logs=None):
        gan = self.model
        gan_checkpoint(gan, self.run_dir).save(epoch + 1, {"step": int(gan.g_optimizer.iterations.numpy())})


def restore_gan(gan, run_dir) -> int:
    """Load the latest checkpoint of ``run_dir`` into ``gan``; return its epoch (0 when there is none).

    A checkpoint that cannot be read raises ``CheckpointError`` naming the file; nothing is deleted.
    """
    checkpoint = gan_checkpoint(gan, run_dir)
    try:
        return checkpoint.restore()
    except CheckpointError as err:
        raise CheckpointError(f"{err}\nIn Python: fit_resumable(..., fresh=True) starts the run over.") from err


def saved_step(run_dir) -> int | None:
    """The optimizer step recorded with the latest checkpoint of ``run_dir`` (None when there is none)."""
    import json

    pointer = Path(run_dir) / CHECKPOINT_SUBDIR / "latest.json"
    if not pointer.is_file():
        return None
    return json.loads(pointer.read_text()).get("step")


class EpochLog(keras.callbacks.Callback):
    """Append one row per epoch (epoch, then the metrics) to a CSV file, across sessions."""

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
            writer.writerow([epoch, *logs.values()])


def read_history(run_dir) -> dict:
    """The per-epoch log of a run (all sessions), from ``run_dir/history.csv``: name -> list."""
    path = Path(run_dir) / HISTORY_FILE
    if not path.is_file():
        return {}
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    return {key: [float(r[key]) if key != "epoch" else int(r[key]) for r in rows] for key in (rows[0] if rows else {})}


def _trim_history(run_dir: Path, epochs_done: int):
    """Drop rows logged after the restored checkpoint (a run killed between log and checkpoint)."""
    path = run_dir / HISTORY_FILE
    if not path.is_file():
        return
    with path.open() as fh:
        rows = list(csv.reader(fh))
    if len(rows) > epochs_done + 1:
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerows(rows[: epochs_done + 1])


def fit_resumable(gan, x, y=None, *, run_dir, epochs: int, batch_size: int = 64, callbacks=(),
                  fresh: bool = False, verbose="auto", **fit_kwargs):
    """``gan.fit`` that checkpoints every epoch into ``run_dir`` and resumes from it.

    If ``run_dir`` holds a checkpoint, G, D and both optimizers are restored and training
    continues at the saved epoch, up to ``epochs`` in total; a finished run returns at
    once. ``fresh=True`` deletes the run's checkpoints and log and starts over. Returns
    the Keras ``History``; its ``.history`` holds every epoch of the run, earlier
    sessions included (from ``history.csv``).
    """
    run_dir = Path(run_dir)
    if fresh:
        shutil.rmtree(run_dir / CHECKPOINT_SUBDIR, ignore_errors=True)
        (run_dir / HISTORY_FILE).unlink(missing_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    start = restore_gan(gan, run_dir)
    _trim_history(run_dir, start)
    if start >= epochs:
        print(f"{run_dir}: all {epochs} epochs are done already (checkpoint at epoch {start}); "
              "pass fresh=True to train again")
        history = keras.callbacks.History()
        history.history, history.epoch = read_history(run_dir), list(range(start))
        return history
    if start:
        print(f"{run_dir}: resuming at epoch {start + 1} of {epochs} (step {saved_step(run_dir)})")
    logger = EpochLog(run_dir / HISTORY_FILE)
    history = gan.fit(x, y, batch_size=batch_size, epochs=epochs, initial_epoch=start, verbose=verbose,
                      callbacks=[*callbacks, logger, GANCheckpoint(run_dir)], **fit_kwargs)
    history.history = read_history(run_dir) or history.history
    return history


# ============================================================================ plots
def plot_gan_losses(history, *, title: str | None = None, save_to=None):
    """Two panels: D's and G's losses, and D's mean probability on real and on generated images.

    ``history`` is a Keras ``History``, its ``.history`` dict or ``read_history(run_dir)``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    hist = getattr(history, "history", history)
    if not hist or "d_loss" not in hist:
        raise ValueError("expected the history of a GAN's fit(), with d_loss and g_loss")
    epochs = np.arange(1, len(hist["d_loss"]) + 1)
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
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if save_to is not None:
        Path(save_to).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(save_to, dpi=100)
    return fig


__all__ = [
    "AnnealInstanceNoise", "CheckpointError", "EpochLog", "GANCheckpoint", "SampleGrid", "fit_resumable", "gan_checkpoint",
    "plot_gan_losses", "read_history", "restore_gan", "save_png", "saved_step", "tile_images", "write_gif",
]
