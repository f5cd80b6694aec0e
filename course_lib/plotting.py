"""Image grids: the one picture every week of the course draws."""
from __future__ import annotations

from pathlib import Path

import numpy as np


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
    if x.min() < 0:  # GAN outputs in [-1, 1]
        x = (x + 1.0) / 2.0
    return x


def plot_image_grid(images, labels=None, *, ncols: int = 10, title: str | None = None,
                    cmap: str = "gray", size: float = 1.0, save_to=None):
    """Show images in a grid, with an optional label over each one.

    Images may be in [0, 1] or [-1, 1] (GAN outputs); both are drawn the same.
    Returns the matplotlib Figure; ``save_to`` also writes it (PNG by suffix).
    """
    import matplotlib.pyplot as plt

    x = _as_2d_images(images)
    if labels is not None and len(labels) != len(x):
        raise ValueError(f"got {len(labels)} labels for {len(x)} images")
    ncols = max(1, min(ncols, len(x)))
    nrows = int(np.ceil(len(x) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if title else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(x):
            ax.imshow(x[i], cmap=cmap, vmin=0, vmax=1)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if save_to is not None:
        Path(save_to).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(save_to, dpi=100)
    return fig


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
