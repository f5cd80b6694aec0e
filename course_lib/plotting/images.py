"""Image grids, the one picture every week of the course draws, and the files they become.

* ``plot_image_grid`` / ``plot_digits_per_class``: a matplotlib grid with a label over each image.
* ``plot_image_rows``: one row per label (a prompt, a class), the label at the row's left.
* ``tile_images`` / ``save_png`` / ``write_gif``: plain uint8 pictures, fast enough to save after every epoch.

Pixel values are drawn as the caller says (``value_range``); without one, a grid is shown from its
darkest pixel (black) to its brightest (white), so [0, 1] data and [-1, 1] GAN outputs look alike.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from course_lib.data import BYTE_RANGE, TANH_RANGE, convert_range


def _as_2d_images(images) -> np.ndarray:
    """Accept (N, H, W), (N, H, W, 1) or (N, H*W) for square images; return (N, H, W)."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    elif x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"flat images of length {x.shape[1]} are not square")
        x = x.reshape(len(x), side, side)
    if x.ndim != 3:
        raise ValueError(f"expected images shaped (N, H, W) or (N, H, W, 1), got {np.shape(images)}")
    if len(x) == 0:
        raise ValueError("no images to plot")
    return x


def _shown_range(x: np.ndarray, value_range) -> tuple[float, float]:
    """The pixel values drawn black and white: ``value_range``, or the grid's own darkest and brightest."""
    if value_range is not None:
        return float(value_range[0]), float(value_range[1])
    lo, hi = float(x.min()), float(x.max())
    return lo, (hi if hi > lo else lo + 1.0)


def finish_figure(fig, *, title: str | None = None, save_to=None, tight: bool = True):
    """Title, tight layout and (with ``save_to``) a PNG file: how every course plot ends."""
    if title:
        fig.suptitle(title)
    if tight:
        fig.tight_layout()
    if save_to is not None:
        Path(save_to).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(save_to, dpi=100)
    return fig


def plot_image_grid(images, labels=None, *, ncols: int = 10, title: str | None = None, cmap: str = "gray",
                    size: float = 1.0, value_range=None, save_to=None):
    """Show images in a grid, with an optional label over each one.

    ``value_range`` is drawn black to white, e.g. ``UNIT_RANGE`` or ``TANH_RANGE`` from
    ``course_lib.data``; by default the grid's darkest and brightest pixels.
    Returns the matplotlib Figure; ``save_to`` also writes it (PNG by suffix).
    """
    import matplotlib.pyplot as plt

    x = _as_2d_images(images)
    if labels is not None and len(labels) != len(x):
        raise ValueError(f"got {len(labels)} labels for {len(x)} images")
    vmin, vmax = _shown_range(x, value_range)
    ncols = max(1, min(ncols, len(x)))
    nrows = int(np.ceil(len(x) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if title else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(x):
            ax.imshow(x[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    return finish_figure(fig, title=title, save_to=save_to)


def plot_digits_per_class(images, labels, *, per_class: int = 10, title: str | None = None,
                          seed: int = 0, save_to=None):
    """One row per class (0-9), ``per_class`` random examples in each row."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    picked, row_labels = [], []
    for digit in np.unique(labels):
        idx = np.flatnonzero(labels == digit)
        chosen = rng.choice(idx, size=min(per_class, len(idx)), replace=False)
        chosen = np.pad(chosen, (0, per_class - len(chosen)), mode="edge")
        picked.extend(chosen)
        row_labels.extend([int(digit)] * per_class)
    return plot_image_grid(np.asarray(images)[picked], row_labels, ncols=per_class,
                           title=title, save_to=save_to)


_ROW_PAD = 2  # pixels of grey between the images of plot_image_rows


def plot_image_rows(images, row_labels, *, size: float = 1.0, value_range=None, save_to=None):
    """``images`` shaped (rows, n, H, W[, 1]): one row per label, the label at the row's left.

    ``value_range`` as in ``plot_image_grid``. Returns the Figure; ``save_to`` also writes it.
    The rows are one tiled picture in one Axes (grey lines between images), not an Axes per
    image: training saves this figure after every epoch, and 48 Axes took 0.6 s to draw.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 5 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 4 or len(x) != len(row_labels):
        raise ValueError(f"expected (rows={len(row_labels)}, n, H, W) images, got {np.shape(images)}")
    rows, n, h, w = x.shape
    sheet = tile_images(x.reshape(rows * n, h, w), n, value_range=_shown_range(x, value_range), pad=_ROW_PAD)
    fig, ax = plt.subplots(figsize=(size * n + 2.6, size * rows))
    ax.imshow(sheet, cmap="gray", vmin=0, vmax=255)
    ax.set_xticks([])
    ax.set_yticks([_ROW_PAD + (h + _ROW_PAD) * i + (h - 1) / 2 for i in range(rows)], list(row_labels), fontsize=9)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.subplots_adjust(left=2.5 / (size * n + 2.6), right=0.99, top=0.99, bottom=0.01)
    return finish_figure(fig, save_to=save_to, tight=False)


# ------------------------------------------------------------------ plain pictures
def tile_images(images, ncols: int = 8, *, value_range=TANH_RANGE, pad: int = 1, scale: int = 1) -> np.ndarray:
    """Tile (N, H, W[, 1]) grey images (GAN outputs in [-1, 1] unless ``value_range`` says otherwise)
    into one uint8 picture, with grey lines between them."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or len(x) == 0:
        raise ValueError(f"expected a non-empty batch of grey images (N, H, W[, 1]), got shape {np.shape(images)}")
    x = convert_range(x, value_range, BYTE_RANGE)
    n, h, w = x.shape
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    sheet = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad), 128, np.uint8)
    for i in range(n):
        r, c = divmod(i, ncols)
        sheet[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[i]
    return sheet.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else sheet


def save_png(picture: np.ndarray, path) -> Path:
    """Write a uint8 picture (from ``tile_images``) as a PNG file."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(path)
    return path


def write_gif(frames, path, *, duration_ms: int = 300, hold_last_ms: int = 1500) -> Path:
    """Write pictures (uint8 arrays, or paths of PNG files) as an endlessly looping grey GIF."""
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
