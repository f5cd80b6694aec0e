"""Convolution and transposed convolution in NumPy, laid out exactly like Keras.

Week 3 slides a kernel over an image; Week 4 runs the same machine backwards to
*upsample*, which is how a DCGAN generator grows a 7x7 feature map into a 28x28
digit. Everything here is NHWC and matches Keras to float precision:

* ``conv2d(x, kernel)`` is ``keras.layers.Conv2D`` (kernel ``(kh, kw, c_in, c_out)``);
* ``conv2d_transpose(x, kernel)`` is ``keras.layers.Conv2DTranspose`` (kernel
  ``(kh, kw, c_out, c_in)``: Keras stores it the way round its forward convolution uses it);
* ``conv2d_transpose_by_zero_insertion`` computes the same thing a second way: insert
  ``stride - 1`` zeros between input pixels, pad, and run an ordinary convolution
  with the flipped kernel;
* ``conv_output_size`` / ``transposed_output_size``: the shape arithmetic.

Padding follows TensorFlow: ``"valid"`` (none) or ``"same"`` (output = input x stride
for the transposed convolution; any odd pixel of padding goes at the end).
"""
from __future__ import annotations

import math

import numpy as np

PADDINGS = ("valid", "same")


# ------------------------------------------------------------------ shape arithmetic
def _pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints -> (height, width), each at least 1."""
    pair = (value, value) if np.isscalar(value) else tuple(value)
    if len(pair) != 2 or any(int(v) != v or int(v) < 1 for v in pair):
        raise ValueError(f"{name} should be a positive int or a pair of positive ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_padding(padding: str) -> str:
    if padding not in PADDINGS:
        raise ValueError(f"padding should be 'valid' or 'same', got {padding!r}")
    return padding


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    """Output length along one axis of length ``n`` for a convolution (Keras/TensorFlow rules)."""
    _check_padding(padding)
    if padding == "same":
        return math.ceil(n / stride)
    if n < kernel_size:
        raise ValueError(f"a kernel of size {kernel_size} does not fit in {n} pixels with 'valid' padding")
    return (n - kernel_size) // stride + 1


def transposed_output_size(n: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    """Output length along one axis for a transposed convolution.

    ``"same"``: ``n * stride``. ``"valid"``: ``(n - 1) * stride + kernel_size``, the span
    of the last kernel copy, but never less than ``n * stride`` (Keras pads with zeros
    when the kernel is smaller than the stride).
    """
    _check_padding(padding)
    if padding == "same":
        return n * stride
    return (n - 1) * stride + max(kernel_size, stride)


def _same_padding(out_len: int, n_in: int, k: int, s: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding of a convolution from ``n_in`` pixels to ``out_len``."""
    total = max((out_len - 1) * s + k - n_in, 0)
    return total // 2, total - total // 2


# ------------------------------------------------------------------ input checks
def _as_batch(x, name="x") -> tuple[np.ndarray, bool]:
    """(H, W, C) or (N, H, W, C) -> float64 (N, H, W, C), and whether a batch axis was added."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 3:
        return arr[None], True
    if arr.ndim != 4:
        raise ValueError(f"{name} should be NHWC (N, height, width, channels) or (height, width, channels), "
                         f"got shape {np.shape(x)}")
    return arr, False


def _check_kernel(kernel, channels_in: int, axis: int, layer: str) -> np.ndarray:
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 4:
        raise ValueError(f"the kernel of a {layer} should have 4 axes, got shape {k.shape}")
    if k.shape[axis] != channels_in:
        where = "third" if axis == 2 else "last"
        raise ValueError(f"the input has {channels_in} channels but the kernel's {where} axis is "
                         f"{k.shape[axis]} (kernel shape {k.shape}, {layer} layout)")
    return k


def _add_bias(out: np.ndarray, bias) -> np.ndarray:
    if bias is None:
        return out
    b = np.asarray(bias, dtype=np.float64)
    if b.shape != (out.shape[-1],):
        raise ValueError(f"bias should have shape ({out.shape[-1]},), one per output channel, got {b.shape}")
    return out + b


# ------------------------------------------------------------------ convolution
def conv2d(x, kernel, bias=None, stride=1, padding: str = "valid") -> np.ndarray:
    """2-D convolution (cross-correlation, as in deep learning) of NHWC ``x``.

    ``kernel`` has shape ``(kh, kw, c_in, c_out)``, like ``Conv2D.kernel``. Returns
    float32 ``(N, H_out, W_out, c_out)`` (no batch axis if ``x`` had none).
    """
    x, single = _as_batch(x)
    k = _check_kernel(kernel, x.shape[-1], 2, "Conv2D")
    (kh, kw), (sh, sw) = k.shape[:2], _pair(stride, "stride")
    _check_padding(padding)
    n, h, w, _ = x.shape
    if padding == "same":
        oh, ow = math.ceil(h / sh), math.ceil(w / sw)
        x = np.pad(x, ((0, 0), _same_padding(oh, h, kh, sh), _same_padding(ow, w, kw, sw), (0, 0)))
    else:
        oh, ow = conv_output_size(h, kh, sh), conv_output_size(w, kw, sw)
    out = np.zeros((n, oh, ow, k.shape[3]))
    # one kernel tap at a time: every output pixel takes the input pixel under tap (a, b)
    for a in range(kh):
        for b in range(kw):
            patch = x[:, a: a + sh * (oh - 1) + 1: sh, b: b + sw * (ow - 1) + 1: sw, :]
            out += patch @ k[a, b]
    out = _add_bias(out, bias).astype(np.float32)
    return out[0] if single else out


# ------------------------------------------------------------- transposed convolution
def conv2d_transpose(x, kernel, bias=None, stride=1, padding: str = "valid") -> np.ndarray:
    """Transposed convolution of NHWC ``x``, matching ``keras.layers.Conv2DTranspose``.

    ``kernel`` has shape ``(kh, kw, c_out, c_in)``, like ``Conv2DTranspose.kernel``.
    Each input pixel *scatters* a copy of the kernel, scaled by its value, into the
    output; copies start ``stride`` pixels apart and add up where they overlap.
    ``"same"`` then crops the result to ``input size x stride``.
    """
    x, single = _as_batch(x)
    k = _check_kernel(kernel, x.shape[-1], 3, "Conv2DTranspose")
    (kh, kw), (sh, sw) = k.shape[:2], _pair(stride, "stride")
    _check_padding(padding)
    n, h, w, _ = x.shape
    # the full scatter result, before any cropping
    full = np.zeros((n, (h - 1) * sh + kh, (w - 1) * sw + kw, k.shape[2]))
    for a in range(kh):
        for b in range(kw):
            # tap (a, b) of every input pixel's kernel copy lands on a grid with spacing stride
            full[:, a: a + sh * (h - 1) + 1: sh, b: b + sw * (w - 1) + 1: sw, :] += x @ k[a, b].T
    out = _crop(full, h, w, kh, kw, sh, sw, padding)
    out = _add_bias(out, bias).astype(np.float32)
    return out[0] if single else out


def _crop(full, h, w, kh, kw, sh, sw, padding):
    """Cut the full scatter result to Keras's output size (zero-padding it where it is short)."""
    oh, ow = transposed_output_size(h, kh, sh, padding), transposed_output_size(w, kw, sw, padding)
    top, left = 0, 0
    if padding == "same":
        # the transposed convolution undoes a 'same' convolution from (oh, ow) down to (h, w)
        top, left = _same_padding(h, oh, kh, sh)[0], _same_padding(w, ow, kw, sw)[0]
    need_h, need_w = max(0, top + oh - full.shape[1]), max(0, left + ow - full.shape[2])
    if need_h or need_w:
        full = np.pad(full, ((0, 0), (0, need_h), (0, need_w), (0, 0)))
    return full[:, top: top + oh, left: left + ow, :]


def zero_insert(x, stride) -> np.ndarray:
    """Put ``stride - 1`` zeros between neighbouring pixels of NHWC ``x`` (along H and W)."""
    x, single = _as_batch(x)
    sh, sw = _pair(stride, "stride")
    n, h, w, c = x.shape
    out = np.zeros((n, (h - 1) * sh + 1, (w - 1) * sw + 1, c))
    out[:, ::sh, ::sw, :] = x
    return out[0] if single else out


def conv2d_transpose_by_zero_insertion(x, kernel, bias=None, stride=1, padding: str = "valid") -> np.ndarray:
    """The same result as ``conv2d_transpose``, computed as zero insertion, then an ordinary
    stride-1 convolution with the kernel flipped in space and its channel axes swapped."""
    x, single = _as_batch(x)
    k = _check_kernel(kernel, x.shape[-1], 3, "Conv2DTranspose")
    (kh, kw), (sh, sw) = k.shape[:2], _pair(stride, "stride")
    _check_padding(padding)
    h, w = x.shape[1:3]
    spread = zero_insert(x, (sh, sw))
    # pad by kernel - 1 so that every partial overlap at the borders is computed too
    spread = np.pad(spread, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    flipped = k[::-1, ::-1].transpose(0, 1, 3, 2)  # (kh, kw, c_in, c_out) for conv2d
    full = conv2d(spread, flipped).astype(np.float64)
    out = _crop(full, h, w, kh, kw, sh, sw, padding)
    out = _add_bias(out, bias).astype(np.float32)
    return out[0] if single else out


def upsample_nearest(x, factor) -> np.ndarray:
    """Repeat every pixel ``factor`` times along H and W (``keras.layers.UpSampling2D``)."""
    x, single = _as_batch(x)
    fh, fw = _pair(factor, "factor")
    out = x.repeat(fh, axis=1).repeat(fw, axis=2).astype(np.float32)
    return out[0] if single else out


def overlap_count(input_size, kernel_size, stride, padding: str = "valid") -> np.ndarray:
    """How many kernel copies touch each output pixel of a transposed convolution.

    Uneven counts (for example kernel 3 with stride 2) are the source of the
    checkerboard pattern that transposed-convolution generators often draw.
    """
    h, w = _pair(input_size, "input_size")
    kh, kw = _pair(kernel_size, "kernel_size")
    ones = np.ones((1, h, w, 1))
    return conv2d_transpose(ones, np.ones((kh, kw, 1, 1)), stride=stride, padding=padding)[0, ..., 0]


__all__ = [
    "PADDINGS", "conv2d", "conv2d_transpose", "conv2d_transpose_by_zero_insertion", "conv_output_size",
    "overlap_count", "transposed_output_size", "upsample_nearest", "zero_insert",
]
