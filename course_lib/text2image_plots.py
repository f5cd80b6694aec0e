"""Pictures for text2image: a labelled grid with one row per prompt."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_prompt_grid(images, prompts, *, size: float = 1.0):
    """``images`` (P, n, H, W) uint8 or [-1, 1] floats; one row per prompt, the prompt at its left."""
    import matplotlib.pyplot as plt

    imgs = np.asarray(images)
    if imgs.ndim != 4 or len(imgs) != len(prompts):
        raise ValueError(f"expected (prompts={len(prompts)}, n, H, W) images, got {imgs.shape}")
    if imgs.dtype != np.uint8:
        imgs = np.round((np.clip(imgs, -1, 1) + 1) * 127.5).astype(np.uint8)
    p, n = imgs.shape[:2]
    fig, axes = plt.subplots(p, n, figsize=(size * n + 2.6, size * p), squeeze=False)
    for i in range(p):
        for j in range(n):
            ax = axes[i, j]
            ax.imshow(imgs[i, j], cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([]), ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[i, 0].set_ylabel(prompts[i], rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(left=2.5 / (size * n + 2.6), right=0.99, top=0.99, bottom=0.01, wspace=0.05, hspace=0.05)
    return fig


def save_prompt_grid(images, prompts, path) -> Path:
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = plot_prompt_grid(images, prompts)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
