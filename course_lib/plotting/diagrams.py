"""Schematic diagrams of the course's ideas, drawn with matplotlib (nothing downloaded).

Each ``draw_*`` function returns a Figure. The numbers in a diagram are computed, not typed in: the
perceptron's weighted sum, the convolution's outputs, the pooled maxima and the transposed convolution's
sums are the real results for the values drawn. Every drawn part carries a ``gid`` ("unit", "edge",
"input cell", ...), so tests can count them.

* Week 1: ``draw_broadcasting``, ``draw_view_vs_copy``, ``draw_perceptron``;
* Week 2: ``draw_mlp`` (input, hidden and output layers; ``backward=True`` adds backpropagation);
* Week 3: ``draw_convolution_and_pooling``;
* Week 4: ``draw_transposed_convolution``, ``draw_gan_loop``;
* final project: ``draw_gan_cls_pairs`` (the matching-aware discriminator's three pairs).
"""
from __future__ import annotations

import numpy as np

from course_lib.plotting.images import finish_figure

_INK, _LIGHT, _GHOST = "#222222", "#eef3f9", "#f4f4f4"
_BLUE, _ORANGE, _GREEN, _RED, _PURPLE = "#4c78a8", "#f58518", "#54a24b", "#e45756", "#b279a2"
_PALETTE = (_BLUE, _ORANGE, _GREEN, _PURPLE, _RED, "#9d755d", "#72b7b2", "#eeca3b")


# ============================================================================ drawing helpers
def _canvas(width: float, height: float, title: str | None = None):
    """A figure whose data units are inches, so layouts read like measurements."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)
    return fig, ax


def _box(ax, x, y, w, h, text, *, color=_LIGHT, gid="box", fontsize=10, **text_kw):
    from matplotlib.patches import FancyBboxPatch

    patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                           facecolor=color, edgecolor=_INK, linewidth=1.2, gid=gid)
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, **text_kw)
    return patch


def _circle(ax, x, y, r, text="", *, color=_LIGHT, gid="unit", fontsize=10):
    from matplotlib.patches import Circle

    ax.add_patch(Circle((x, y), r, facecolor=color, edgecolor=_INK, linewidth=1.2, gid=gid, zorder=3))
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4)


def _arrow(ax, start, end, *, color=_INK, ls="-", rad=0.0, gid="arrow", text=None, text_at=0.5, offset=(0, 0.18),
           fontsize=9, lw=1.4):
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=color, linewidth=lw,
                                 linestyle=ls, connectionstyle=f"arc3,rad={rad}", shrinkA=3, shrinkB=3, gid=gid,
                                 zorder=2))
    if text:
        x = start[0] + text_at * (end[0] - start[0]) + offset[0]
        y = start[1] + text_at * (end[1] - start[1]) + offset[1]
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=color)


def _grid(ax, left, top, values, *, cell=0.42, gid="cell", colors=None, ghost=None, fmt="{:g}", fontsize=9,
          edge=_INK):
    """Draw a 2-D array as labelled cells, top-left corner at (left, top). ``colors``: one fill per cell (or
    None); ``ghost``: a boolean mask of cells drawn faded and hatched (broadcast copies)."""
    from matplotlib.patches import Rectangle

    values = np.asarray(values)
    for (i, j), value in np.ndenumerate(values):
        faded = ghost is not None and ghost[i, j]
        fill = _GHOST if faded else (colors[i][j] if colors is not None else "white")
        ax.add_patch(Rectangle((left + j * cell, top - (i + 1) * cell), cell, cell, facecolor=fill,
                               edgecolor="#999999" if faded else edge, linewidth=0.8 if faded else 1.0,
                               linestyle="--" if faded else "-", hatch="//" if faded else None,
                               gid=f"{gid} copy" if faded else gid))
        ax.text(left + (j + 0.5) * cell, top - (i + 0.5) * cell, fmt.format(value), ha="center", va="center",
                fontsize=fontsize, color="#888888" if faded else _INK)
    return left + values.shape[1] * cell, top - values.shape[0] * cell  # right, bottom


def _outline(ax, left, top, rows, cols, *, cell=0.42, color=_ORANGE, gid="highlight", inset=0.0, lw=2.5):
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((left + inset, top - rows * cell + inset), cols * cell - 2 * inset,
                           rows * cell - 2 * inset, fill=False, edgecolor=color, linewidth=lw, gid=gid, zorder=5))


def _as_2d(values, name: str, largest: int) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 2 or min(array.shape) < 1 or max(array.shape) > largest:
        raise ValueError(f"{name} should be a 2-D array of at most {largest}x{largest} numbers, got shape "
                         f"{array.shape}")
    return array


# ============================================================================ Week 1: NumPy
def draw_broadcasting(a_shape=(3, 1), b_shape=(4,), *, op: str = "+"):
    """How NumPy lines up two shapes (from the right) and stretches size-1 dimensions.

    Each operand is drawn at the result's shape: its own numbers solid, the stretched copies faded and
    hatched (NumPy does not copy them in memory). Shapes of up to 2 dimensions; incompatible shapes raise
    the ``ValueError`` NumPy would, explained.
    """
    import operator

    ops = {"+": operator.add, "-": operator.sub, "*": operator.mul}
    if op not in ops:
        raise ValueError(f"op should be one of {sorted(ops)}, got {op!r}")
    a_shape, b_shape = tuple(int(n) for n in a_shape), tuple(int(n) for n in b_shape)
    for shape in (a_shape, b_shape):
        if len(shape) > 2 or any(n < 1 or n > 8 for n in shape):
            raise ValueError(f"draw_broadcasting draws shapes of at most 2 dimensions of sizes 1-8, got {shape}")
    try:
        out_shape = np.broadcast_shapes(a_shape, b_shape)
    except ValueError:
        pairs = zip(reversed((1,) * (2 - len(a_shape)) + a_shape), reversed((1,) * (2 - len(b_shape)) + b_shape))
        n, m = next((p, q) for p, q in pairs if p != q and 1 not in (p, q))
        raise ValueError(f"shapes {a_shape} and {b_shape} do not broadcast: compared from the right, the sizes "
                         f"{n} and {m} differ and neither is 1") from None
    a = 10.0 * np.arange(int(np.prod(a_shape))).reshape(a_shape)
    b = 1.0 + np.arange(int(np.prod(b_shape))).reshape(b_shape)
    result = ops[op](a, b)
    rows, cols = ((1, 1) + out_shape)[-2:]
    cell = 0.42
    width = 3 * cols * cell + 3.4
    fig, ax = _canvas(max(width, 6.0), rows * cell + 1.9,
                      title=f"broadcasting: shapes {a_shape} {op} {b_shape} -> {out_shape}")
    left, top = 0.4, rows * cell + 0.9
    for name, array, color in (("a", a, _BLUE), ("b", b, _ORANGE)):
        shape2d = ((1, 1) + array.shape)[-2:]
        own = np.zeros((rows, cols), bool)
        own[: shape2d[0], : shape2d[1]] = True
        stretched = np.broadcast_to(array.reshape(shape2d), (rows, cols))
        right, _ = _grid(ax, left, top, stretched, cell=cell, gid=f"{name} cell", ghost=~own,
                         colors=[[color + "55"] * cols] * rows)
        label = f"{name}: shape {array.shape}"
        if array.shape != out_shape:
            label += f"\nstretched to {out_shape}"
        ax.text((left + right) / 2, top - rows * cell - 0.25, label, ha="center", va="top", fontsize=9)
        ax.text(right + 0.35, top - rows * cell / 2, op if name == "a" else "=", ha="center", va="center",
                fontsize=16)
        left = right + 0.7
    right, _ = _grid(ax, left, top, result, cell=cell, gid="result cell", colors=[[_GREEN + "55"] * cols] * rows)
    ax.text((left + right) / 2, top - rows * cell - 0.25, f"a {op} b: shape {out_shape}", ha="center", va="top",
            fontsize=9)
    return finish_figure(fig)


def draw_view_vs_copy(n: int = 6, start: int = 1, stop: int = 4):
    """``data[start:stop]`` is a view into ``data``'s memory; ``data[[start, ..., stop - 1]]`` is a copy with its own."""
    if not (isinstance(n, int) and 2 <= n <= 10 and isinstance(start, int) and isinstance(stop, int)
            and 0 <= start < stop <= n):
        raise ValueError(f"need 2 <= n <= 10 and 0 <= start < stop <= n, got n={n}, start={start}, stop={stop}")
    cell, width = 0.6, max(n * 0.6 + 4.2, 7.5)
    fig, ax = _canvas(width, 4.6, title="views versus copies")
    left = 3.4
    picked = list(range(start, stop))
    ax.text(0.2, 3.5, "data = np.arange(%d.0)\none block of memory" % n, va="center", fontsize=9)
    _grid(ax, left, 3.8, np.arange(n, dtype=float)[None], cell=cell, gid="data memory",
          colors=[[_BLUE + "44"] * n], fontsize=10)
    for j in range(n):
        ax.text(left + (j + 0.5) * cell, 3.8 + 0.12, f"[{j}]", ha="center", va="bottom", fontsize=7, color="#666666")
    # the view: no memory of its own, only a window onto data's
    ax.text(0.2, 2.3, f"window = data[{start}:{stop}]\na view: no memory of its own", va="center", fontsize=9,
            color=_BLUE)
    _outline(ax, left + start * cell, 3.8, 1, stop - start, cell=cell, color=_BLUE, gid="view window", lw=3)
    for k, j in enumerate(picked):
        _arrow(ax, (left + (start + k + 0.5) * cell, 2.35), (left + (j + 0.5) * cell, 3.8 - cell), color=_BLUE,
               gid="view arrow")
        ax.text(left + (start + k + 0.5) * cell, 2.2, f"window[{k}]", ha="center", va="top", fontsize=7, color=_BLUE)
    # the copy: its own memory, filled once
    ax.text(0.2, 0.9, f"picked = data[{picked}]\na copy: its own memory", va="center", fontsize=9, color=_ORANGE)
    copy_left = left + start * cell
    _grid(ax, copy_left, 1.2, np.asarray(picked, float)[None], cell=cell, gid="copy memory",
          colors=[[_ORANGE + "44"] * len(picked)], fontsize=10)
    ax.text(width - 0.1, 0.25, f"window[0] = 100 changes data[{start}] too; picked[0] = -1 changes only picked",
            ha="right", fontsize=8, style="italic")
    return finish_figure(fig)


def draw_perceptron(x=(1.4, 0.2), w=(0.5, -0.2), b: float = -0.1, *, activation: str = "step"):
    """One neuron, forward: inputs, weights and bias, the weighted sum z, the activation, the prediction.

    The numbers drawn are computed from ``x``, ``w`` and ``b``; ``activation`` is ``"step"`` or ``"sigmoid"``.
    """
    x, w = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(w, float))
    if x.ndim != 1 or x.shape != w.shape or not 1 <= len(x) <= 6:
        raise ValueError(f"x and w should be two lists of the same length (1 to 6), got {x.shape} and {w.shape}")
    if activation not in ("step", "sigmoid"):
        raise ValueError(f"activation should be 'step' or 'sigmoid', got {activation!r}")
    z = float(x @ w + b)
    y = float(z > 0) if activation == "step" else 1 / (1 + np.exp(-z))
    fig, ax = _canvas(10.0, 4.4, title="a perceptron: one neuron, forward")
    n, centre = len(x), 2.0
    ys = centre + (np.arange(n)[::-1] - (n - 1) / 2) * min(1.0, 3.0 / n)
    sum_xy, act_xy, out_xy = (4.6, centre), (6.9, centre), (9.0, centre)
    for k, (xk, wk, yk) in enumerate(zip(x, w, ys)):
        _circle(ax, 1.0, yk, 0.32, f"$x_{k + 1}$\n{xk:g}", color=_BLUE + "33", gid="input", fontsize=8)
        _arrow(ax, (1.32, yk), (sum_xy[0] - 0.48, centre + (yk - centre) * 0.3), gid="weight")
        ax.text(2.75, yk + (centre - yk) * 0.35 + 0.16, f"$w_{k + 1}$ = {wk:g}", ha="center", fontsize=9, color=_BLUE)
    _circle(ax, sum_xy[0], sum_xy[1] - 1.65, 0.22, "1", color=_GHOST, gid="bias input", fontsize=8)
    _arrow(ax, (sum_xy[0], sum_xy[1] - 1.43), (sum_xy[0], sum_xy[1] - 0.45), gid="weight")
    ax.text(sum_xy[0] + 0.1, sum_xy[1] - 0.95, f"b = {b:g}", ha="left", fontsize=9, color=_BLUE)
    _circle(ax, *sum_xy, 0.45, r"$\Sigma$", color=_ORANGE + "44", gid="sum", fontsize=14)
    def num(v):
        return f"({v:g})" if v < 0 else f"{v:g}"

    terms = " + ".join(f"{num(wk)}·{num(xk)}" for wk, xk in zip(w, x))
    ax.text(sum_xy[0], sum_xy[1] + 0.62, f"z = {terms} + {num(b)} = {z:.3g}", ha="center", fontsize=8)
    _arrow(ax, (sum_xy[0] + 0.45, centre), (act_xy[0] - 0.7, centre), text="z", offset=(0, 0.15))
    _box(ax, *act_xy, 1.4, 1.0, "", color=_GREEN + "33", gid="activation")
    t = np.linspace(-1, 1, 50)
    curve = (t > 0).astype(float) if activation == "step" else 1 / (1 + np.exp(-6 * t))
    ax.plot(act_xy[0] + 0.55 * t, act_xy[1] - 0.3 + 0.5 * curve, color=_INK, lw=1.5)
    ax.text(act_xy[0], act_xy[1] - 0.75, f"{activation}(z)", ha="center", va="top", fontsize=9)
    _arrow(ax, (act_xy[0] + 0.7, centre), (out_xy[0] - 0.42, centre))
    _circle(ax, *out_xy, 0.42, f"$\\hat y$\n{y:.3g}", color=_PURPLE + "44", gid="output", fontsize=9)
    for xpos, label in ((1.0, "inputs"), (2.75, "weights\nand bias"), (sum_xy[0], "weighted sum"),
                        (act_xy[0], "activation"), (out_xy[0], "prediction")):
        ax.text(xpos, 4.05, label, ha="center", va="center", fontsize=10, weight="bold")
    return finish_figure(fig)


# ============================================================================ Week 2: layers and backpropagation
def draw_mlp(layer_sizes=(4, 5, 3), *, backward: bool = False, max_drawn: int = 7):
    """A multilayer perceptron: an input layer, hidden layers and an output layer, every unit connected to
    every unit of the next layer. Layers wider than ``max_drawn`` are drawn with ``max_drawn`` units and a
    ⋮ (their real size is in the label). ``backward=True`` adds the loss and backpropagation's path back."""
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or any(n < 1 for n in sizes) or len(sizes) > 6:
        raise ValueError(f"layer_sizes should list 2 to 6 positive layer widths, got {tuple(layer_sizes)}")
    if max_drawn < 2:
        raise ValueError(f"max_drawn should be at least 2, got {max_drawn}")
    gap, height = 2.4, 6.2
    width = gap * (len(sizes) - 1) + 2.4 + (2.2 if backward else 0)
    fig, ax = _canvas(width, height, title="a multilayer perceptron" + (": forward and backward" if backward else ""))
    centre, positions = 3.4, []
    for i, n in enumerate(sizes):
        shown = min(n, max_drawn)
        step = min(0.62, 3.2 / max(shown - 1, 1))
        ys = centre + (np.arange(shown)[::-1] - (shown - 1) / 2) * step
        xi = 1.2 + i * gap
        positions.append((xi, ys))
        color = _BLUE if i == 0 else (_PURPLE if i == len(sizes) - 1 else _ORANGE)
        for y in ys:
            _circle(ax, xi, y, 0.17, color=color + "55")
        if shown < n:
            ax.text(xi, ys[-1] - 0.3, "⋮", ha="center", va="top", fontsize=12)
        kind = "input layer" if i == 0 else ("output layer" if i == len(sizes) - 1 else f"hidden layer {i}")
        unit = "features" if i == 0 else "units"
        ax.text(xi, 0.55, f"{kind}\n{n} {unit}", ha="center", va="center", fontsize=9, weight="bold")
    for i in range(1, len(sizes)):
        (x0, ys0), (x1, ys1) = positions[i - 1], positions[i]
        for y0 in ys0:
            for y1 in ys1:
                ax.plot([x0 + 0.17, x1 - 0.17], [y0, y1], color="#9aa5b1", lw=0.6, zorder=1, gid="edge")
        ax.text((x0 + x1) / 2, 5.3, f"$W_{i}$: {sizes[i - 1]}×{sizes[i]}\n+ {sizes[i]} biases", ha="center",
                fontsize=8)
    first, last = positions[0][0], positions[-1][0]
    _arrow(ax, (first, 5.85), (last, 5.85), color=_BLUE, gid="forward arrow",
           text="forward: each layer computes activation(W·a + b)", offset=(0, 0.17))
    if backward:
        loss_x = last + 1.6
        _box(ax, loss_x, centre, 1.1, 0.8, "loss", color=_RED + "33", gid="loss")
        _arrow(ax, (last + 0.25, centre), (loss_x - 0.55, centre))
        for i in range(len(sizes) - 1, 0, -1):
            x0, x1 = positions[i - 1][0], positions[i][0] if i < len(sizes) - 1 else loss_x - 0.55
            _arrow(ax, (x1, 1.3), (x0 + 0.3, 1.3), color=_RED, gid="backward arrow",
                   text=f"∂loss/∂$W_{i}$", offset=(0, -0.2))
        ax.text((first + loss_x) / 2, 0.05, "backpropagation: the chain rule carries ∂loss backwards, layer by layer",
                ha="center", va="bottom", fontsize=9, color=_RED)
    return finish_figure(fig)


# ============================================================================ Week 3: convolution and pooling
_CONV_IMAGE = [[1, 2, 0, 1, 3], [0, 1, 3, 1, 0], [2, 1, 0, 2, 1], [1, 0, 2, 3, 1], [0, 2, 1, 0, 2]]
_CONV_KERNEL = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]
_POOL_MAP = [[1, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 2], [2, 2, 3, 4]]


def draw_convolution_and_pooling(image=None, kernel=None, feature_map=None):
    """Left: a 'valid' convolution, stride 1 (the kernel's window and the output value it makes highlighted);
    right: 2×2 max pooling with stride 2. The outputs drawn are computed from the arrays given."""
    image = _as_2d(_CONV_IMAGE if image is None else image, "image", 7)
    kernel = _as_2d(_CONV_KERNEL if kernel is None else kernel, "kernel", 5)
    fmap = _as_2d(_POOL_MAP if feature_map is None else feature_map, "feature_map", 6)
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(f"the kernel {kernel.shape} is larger than the image {image.shape}")
    if fmap.shape[0] % 2 or fmap.shape[1] % 2:
        raise ValueError(f"feature_map should have even sides for 2x2 pooling, got {fmap.shape}")
    kh, kw = kernel.shape
    out = np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                    for i in range(image.shape[0] - kh + 1)])
    pooled = fmap.reshape(fmap.shape[0] // 2, 2, fmap.shape[1] // 2, 2).max(axis=(1, 3))
    cell = 0.42
    conv_width = (image.shape[1] + kernel.shape[1] + out.shape[1]) * cell + 1.6
    pool_width = (fmap.shape[1] + pooled.shape[1]) * cell + 1.3
    height = max(image.shape[0], fmap.shape[0]) * cell + 1.7
    fig, ax = _canvas(conv_width + pool_width + 0.6, height)
    top = height - 0.75
    ax.text(conv_width / 2, height - 0.2, "convolution: slide the kernel, multiply and add", ha="center",
            va="top", fontsize=10, weight="bold")
    right, _ = _grid(ax, 0.3, top, image, cell=cell, gid="input cell")
    _outline(ax, 0.3, top, kh, kw, cell=cell)
    ax.text(right + 0.25, top - kh * cell / 2, "∗", ha="center", va="center", fontsize=16)
    k_left = right + 0.5
    right, _ = _grid(ax, k_left, top, kernel, cell=cell, gid="kernel cell", colors=[[_ORANGE + "55"] * kw] * kh)
    ax.text(right + 0.25, top - kh * cell / 2, "=", ha="center", va="center", fontsize=16)
    o_left = right + 0.5
    _grid(ax, o_left, top, out, cell=cell, gid="output cell")
    _outline(ax, o_left, top, 1, 1, cell=cell)
    ax.text(0.3 + image.shape[1] * cell / 2, top - image.shape[0] * cell - 0.2, f"input {image.shape[0]}×{image.shape[1]}",
            ha="center", va="top", fontsize=9)
    ax.text(k_left + kw * cell / 2, top - kh * cell - 0.2, f"kernel {kh}×{kw}", ha="center", va="top", fontsize=9)
    ax.text(o_left + out.shape[1] * cell / 2, top - out.shape[0] * cell - 0.2,
            f"output {out.shape[0]}×{out.shape[1]}\n(top-left: the 9 products\nin the window, added)",
            ha="center", va="top", fontsize=8)
    # pooling
    p_left = conv_width + 0.5
    ax.text(p_left + pool_width / 2 - 0.3, height - 0.2, "max pooling 2×2, stride 2", ha="center", va="top",
            fontsize=10, weight="bold")
    block_colors = [[_PALETTE[(i // 2) * (fmap.shape[1] // 2) + j // 2] + "44" for j in range(fmap.shape[1])]
                    for i in range(fmap.shape[0])]
    right, _ = _grid(ax, p_left, top, fmap, cell=cell, gid="feature cell", colors=block_colors)
    _arrow(ax, (right + 0.1, top - fmap.shape[0] * cell / 2), (right + 0.6, top - fmap.shape[0] * cell / 2))
    pooled_colors = [[_PALETTE[i * pooled.shape[1] + j] + "88" for j in range(pooled.shape[1])]
                     for i in range(pooled.shape[0])]
    _grid(ax, right + 0.7, top, pooled, cell=cell, gid="pooled cell", colors=pooled_colors)
    ax.text(p_left + fmap.shape[1] * cell / 2, top - fmap.shape[0] * cell - 0.2,
            "each 2×2 block keeps\nits largest value", ha="center", va="top", fontsize=8)
    return finish_figure(fig)


# ============================================================================ Week 4: transposed convolution, the GAN
def draw_transposed_convolution(x=None, kernel=None, stride: int = 2):
    """Every input pixel stamps ``pixel × kernel`` onto the output, ``stride`` pixels apart; where stamps overlap
    they add. Cells are shaded by how many stamps land on them (the uneven overlap behind checkerboards)."""
    x = _as_2d([[1, 2], [3, 4]] if x is None else x, "x", 3)
    kernel = _as_2d(np.ones((3, 3)) if kernel is None else kernel, "kernel", 4)
    if not isinstance(stride, int) or not 1 <= stride <= 3:
        raise ValueError(f"stride should be 1, 2 or 3, got {stride!r}")
    (h, w), (kh, kw) = x.shape, kernel.shape
    out = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw))
    count = np.zeros_like(out)
    for i in range(h):
        for j in range(w):
            out[i * stride:i * stride + kh, j * stride:j * stride + kw] += x[i, j] * kernel
            count[i * stride:i * stride + kh, j * stride:j * stride + kw] += 1
    cell = 0.5
    width = (w + kw + out.shape[1]) * cell + 3.2
    height = out.shape[0] * cell + 2.2
    fig, ax = _canvas(width, height, title=f"transposed convolution, stride {stride}: every input pixel stamps "
                                           "value × kernel; overlaps add")
    top = height - 0.9
    colors = [[_PALETTE[i * w + j] + "66" for j in range(w)] for i in range(h)]
    right, _ = _grid(ax, 0.3, top, x, cell=cell, gid="input cell", colors=colors)
    ax.text(0.3 + w * cell / 2, top - h * cell - 0.2, f"input {h}×{w}", ha="center", va="top", fontsize=9)
    k_left = right + 0.5
    right, _ = _grid(ax, k_left, top, kernel, cell=cell, gid="kernel cell")
    ax.text(k_left + kw * cell / 2, top - kh * cell - 0.2, f"kernel {kh}×{kw}", ha="center", va="top", fontsize=9)
    o_left = right + 1.0
    _arrow(ax, (right + 0.15, top - cell), (o_left - 0.15, top - cell))
    greys = ["#ffffff", "#e8e8e8", "#cfcfcf", "#b5b5b5", "#9c9c9c"]
    shade = [[greys[min(int(c), 4)] for c in row] for row in count]
    _grid(ax, o_left, top, out, cell=cell, gid="output cell", colors=shade)
    for i in range(h):
        for j in range(w):
            _outline(ax, o_left + j * stride * cell, top - i * stride * cell, kh, kw, cell=cell,
                     color=_PALETTE[i * w + j], gid="stamp", inset=0.04 + 0.03 * (i * w + j), lw=2)
    ax.text(o_left + out.shape[1] * cell / 2, top - out.shape[0] * cell - 0.2,
            f"output {out.shape[0]}×{out.shape[1]} = ({h} - 1)·{stride} + {kh}; darker: more stamps overlap",
            ha="center", va="top", fontsize=8)
    return finish_figure(fig)


def draw_gan_loop():
    """One round of the GAN game: G turns noise into fakes, D judges real and fake, each loss updates its own
    player (real = 1, fake = 0)."""
    fig, ax = _canvas(11.6, 5.8, title="the GAN loop: two players, two losses, real = 1 and fake = 0")
    _box(ax, 1.0, 3.9, 1.5, 0.9, "noise z\n~ N(0, I)", color=_GHOST)
    _box(ax, 3.3, 3.9, 1.6, 0.9, "generator G", color=_BLUE + "44", weight="bold")
    _box(ax, 5.7, 3.9, 1.6, 0.9, "fake images\nG(z)", color=_BLUE + "22")
    _box(ax, 5.7, 1.5, 1.6, 0.9, "real images x\n(the data)", color=_GREEN + "33")
    _box(ax, 8.0, 2.7, 1.7, 0.9, "discriminator D", color=_ORANGE + "44", weight="bold")
    _box(ax, 10.4, 2.7, 1.9, 0.9, "D(·): probability\nthat it is real", color=_GHOST)
    _arrow(ax, (1.75, 3.9), (2.5, 3.9))
    _arrow(ax, (4.1, 3.9), (4.9, 3.9))
    _arrow(ax, (6.5, 3.8), (7.3, 3.0), text="label 0", offset=(0.3, 0.15), color=_BLUE)
    _arrow(ax, (6.5, 1.6), (7.3, 2.4), text="label 1", offset=(0.3, -0.15), color=_GREEN)
    _arrow(ax, (8.85, 2.7), (9.45, 2.7))
    ax.text(10.4, 1.95, "D's loss: say 1 on real,\n0 on fake", ha="center", va="top", fontsize=9, color=_ORANGE)
    ax.text(10.4, 3.45, "G's loss: make D say 1\non fakes", ha="center", va="bottom", fontsize=9, color=_BLUE)
    _arrow(ax, (10.0, 1.2), (8.0, 2.2), color=_ORANGE, ls="--", rad=-0.3, gid="update arrow")
    ax.text(8.3, 0.75, "update D (only D's weights)", ha="center", va="center", fontsize=9, color=_ORANGE)
    _arrow(ax, (10.4, 4.25), (3.3, 4.4), color=_BLUE, ls="--", rad=0.12, gid="update arrow")
    ax.text(6.9, 5.25, "update G (only G's weights; the gradient flows back through D)", ha="center",
            va="center", fontsize=9, color=_BLUE)
    return finish_figure(fig)


def draw_gan_cls_pairs(images=None, captions=("a thick seven", "a thin two")):
    """GAN-CLS's matching-aware discriminator sees three kinds of pair: a real image with its own caption (real),
    a real image with a mismatched caption (fake: D must read the text), and a generated image with a caption
    (fake: D must judge the picture). ``images``: three grey images (real, real, generated) to show, or none."""
    if len(captions) != 2 or not all(isinstance(c, str) and c.strip() for c in captions):
        raise ValueError(f"captions should be two non-empty strings (matching, mismatched), got {captions!r}")
    if images is not None:
        images = np.asarray(images, dtype=float)
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        if images.ndim != 3 or len(images) != 3:
            raise ValueError(f"images should be three grey images (real, real, generated), got shape {images.shape}")
    match, mismatch = captions
    rows = [("real image", f'"{match}"', "its own caption", "real (1)", _GREEN),
            ("real image", f'"{mismatch}"', "a mismatched caption", "fake (0)", _RED),
            ("generated image\nG(z, text)", f'"{match}"', "the caption it was drawn for", "fake (0)", _RED)]
    fig, ax = _canvas(11.0, 5.2, title="GAN-CLS: the three pairs the discriminator learns from")
    for k, (what, caption, which, verdict, color) in enumerate(rows):
        y = 4.0 - 1.45 * k
        extent = (0.4, 1.4, y - 0.5, y + 0.5)
        if images is not None:
            ax.imshow(images[k], cmap="gray", extent=extent, zorder=2)
        else:
            _glyph(ax, 0.9, y, generated=k == 2)
        ax.text(0.9, y - 0.62, what, ha="center", va="top", fontsize=8)
        ax.text(1.85, y, "+", ha="center", va="center", fontsize=16)
        _box(ax, 3.6, y, 2.9, 0.7, caption, color=_GHOST, gid="caption")
        ax.text(3.6, y - 0.45, which, ha="center", va="top", fontsize=8)
        _arrow(ax, (5.1, y), (6.2, y))
        _box(ax, 6.9, y, 1.2, 0.7, "D", color=_ORANGE + "44", gid="discriminator", weight="bold")
        _arrow(ax, (7.55, y), (8.5, y))
        _box(ax, 9.5, y, 1.7, 0.7, verdict, color=color + "44", gid="target", weight="bold")
    return finish_figure(fig)


def _glyph(ax, x, y, *, generated: bool):
    """A stand-in for a digit image: a white 7 on black (a generated one a little blurred)."""
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1.0, 1.0, facecolor="#111111", edgecolor=_INK, gid="image"))
    ax.text(x, y, "7", ha="center", va="center", fontsize=30, color="white", alpha=0.55 if generated else 1.0,
            style="italic" if generated else "normal")
