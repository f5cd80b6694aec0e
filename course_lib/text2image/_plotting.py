"""Drawing a ``Generation``: one row per prompt, drawings of any width (numbers are wider than digits)."""
from __future__ import annotations

import numpy as np

from course_lib.plotting import finish_figure

_GAP = 4  # grey pixels between two drawings of a row


def plot_generation(generation, *, size: float = 0.9, save_to=None):
    """One row per prompt, its ``n`` drawings side by side (each as wide as its number), the prompt at the left.

    ``size``: inches per 28 pixels. Returns the matplotlib Figure; ``save_to`` also writes it (PNG).
    """
    import matplotlib.pyplot as plt

    rows = []
    for i in range(len(generation.prompts)):
        drawings = generation.drawings(i)  # (n, 28, 28 * length)
        n, h, w = drawings.shape
        row = np.full((h, n * (w + _GAP) - _GAP), 128, np.uint8)
        for j in range(n):
            row[:, j * (w + _GAP): j * (w + _GAP) + w] = drawings[j]
        rows.append(row)
    widest = max(r.shape[1] for r in rows)
    label_inches = 2.8
    fig, axes = plt.subplots(len(rows), 1, squeeze=False,
                             figsize=(label_inches + size * widest / 28, size * len(rows) + 0.1))
    for ax, row, prompt, length in zip(axes[:, 0], rows, generation.prompts, generation.lengths):
        ax.imshow(row, cmap="gray", vmin=0, vmax=255, extent=(0, row.shape[1], row.shape[0], 0))
        ax.set_xlim(0, widest)
        ax.set_xticks([]), ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        label = prompt if length == 1 else f"{prompt}  ({length} digits)"
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(left=label_inches / fig.get_figwidth(), right=0.99, top=0.99, bottom=0.01, hspace=0.08)
    return finish_figure(fig, save_to=save_to, tight=False)
