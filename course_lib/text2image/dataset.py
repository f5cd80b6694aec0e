"""Captioned digits: measure each digit's style, describe it in words, save it all in one ``.npz``.

The final project needs captions that carry more than the label, so we measure
two style attributes from the pixels and bin them into words:

* stroke **thickness** = ink area / skeleton length (pixels): thin, regular, thick;
* **slant** from image moments (how far x moves per row): leaning left, upright, leaning right.

The captions are written in Week 5's caption language (``course_lib.text.captions``): many
templates with synonyms, numerals and digit words, some of them held out of training.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from course_lib._files import replaced_atomically
from course_lib.data import BYTE_RANGE, UNIT_RANGE, convert_range, data_dir, load_digits_dataset
from course_lib.text.captions import SLANT_WORDS, THICKNESS_WORDS, make_captions

# Bin edges, near the quartiles measured on the course digits (see the final notebook's
# histograms), so about a quarter of the digits fall in each outer bin.
THICKNESS_EDGES = (2.15, 2.95)  # stroke width in pixels: thin < 2.15 <= regular < 2.95 <= thick
SLANT_EDGES = (-0.05, 0.3)  # x shift per row: left < -0.05 <= upright < 0.3 <= right


# ------------------------------------------------------------------ measuring
def _neighbours(b: np.ndarray):
    """The 8 neighbours P2..P9 (N, NE, E, SE, S, SW, W, NW) of every pixel in a (N, H, W) stack."""
    p = np.pad(b, ((0, 0), (1, 1), (1, 1)))
    h, w = b.shape[1:]
    shifts = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]
    return [p[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy, dx in shifts]


def skeletonize(binary: np.ndarray, max_iter: int = 50) -> np.ndarray:
    """Zhang–Suen thinning of a stack of binary images (N, H, W), all at once."""
    img = np.asarray(binary, dtype=np.uint8).copy()
    for _ in range(max_iter):
        changed = False
        for step in (0, 1):
            n = _neighbours(img)
            count = sum(n)
            ring = n + n[:1]
            transitions = sum(((ring[i] == 0) & (ring[i + 1] == 1)).astype(np.uint8) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if step == 0:
                c1, c2 = p2 * p4 * p6, p4 * p6 * p8
            else:
                c1, c2 = p2 * p4 * p8, p2 * p6 * p8
            remove = (img == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & (c1 == 0) & (c2 == 0)
            if remove.any():
                img[remove] = 0
                changed = True
        if not changed:
            break
    return img


def _as_stack(images, value_range) -> np.ndarray:
    """(N, H, W[, 1]) images in ``value_range`` -> float32 (N, H, W) in [0, 1]."""
    x = np.asarray(images)
    if x.ndim == 4:
        x = x[..., 0]
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"expected images shaped (N, H, W) or (N, H, W, 1), got {np.shape(images)}")
    return convert_range(x, value_range, UNIT_RANGE)


def measure_thickness(images, threshold: float = 0.5, *, value_range=UNIT_RANGE) -> np.ndarray:
    """Mean stroke width in pixels, from the ink area and the skeleton length.

    ``value_range``: the images' range, ``UNIT_RANGE`` as loaded, ``TANH_RANGE`` for a
    generator's output, ``BYTE_RANGE`` for the dataset's uint8 images.
    """
    ink = _as_stack(images, value_range) > threshold
    area = ink.sum(axis=(1, 2)).astype(np.float32)
    length = skeletonize(ink).sum(axis=(1, 2)).astype(np.float32)
    # Thinning also eats about half a stroke width at each end, so solve area = w * (length + w) for w.
    width = (-length + np.sqrt(length**2 + 4 * area)) / 2
    return np.where(length > 0, width, 0.0).astype(np.float32)


def measure_slant(images, *, value_range=UNIT_RANGE) -> np.ndarray:
    """Horizontal shift per row from second-order moments; positive means the top leans right.

    ``value_range`` as in :func:`measure_thickness`.
    """
    x = _as_stack(images, value_range)
    h, w = x.shape[1:]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    mass = x.sum(axis=(1, 2)) + 1e-8
    cy = (x * ys).sum(axis=(1, 2)) / mass
    cx = (x * xs).sum(axis=(1, 2)) / mass
    dy, dx = ys - cy[:, None, None], xs - cx[:, None, None]
    mu11 = (x * dx * dy).sum(axis=(1, 2))
    mu02 = (x * dy * dy).sum(axis=(1, 2)) + 1e-8
    # rows grow downwards, so a right lean has x falling as y grows: mu11 < 0
    return (-mu11 / mu02).astype(np.float32)


def thickness_word(values) -> np.ndarray:
    return np.asarray(THICKNESS_WORDS)[np.digitize(values, THICKNESS_EDGES)]


def slant_word(values) -> np.ndarray:
    return np.asarray(SLANT_WORDS)[np.digitize(values, SLANT_EDGES)]


# ------------------------------------------------------------------ the dataset file
DATASET_KEYS = ("images", "labels", "captions", "heldout_captions", "thickness", "slant",
                "thickness_words", "slant_words", "is_test")


def default_dataset_path(source: str) -> Path:
    """Where ``course data build`` keeps the captioned digits of a (resolved) data source."""
    return data_dir() / f"captioned_digits_{source}.npz"


def build_captioned_dataset(source: str = "auto", out=None, *, captions_per_image: int = 5,
                            seed: int = 0, verbose: bool = True) -> Path:
    """Measure, caption and save the course digits as one ``.npz`` (load it with ``numpy.load``).

    ``images`` are stored as uint8 (0-255), (N, 28, 28).
    """
    if captions_per_image < 1:
        raise ValueError("captions_per_image must be at least 1")
    data = load_digits_dataset(source, verbose=verbose)
    images = np.concatenate([data.x_train, data.x_test])[..., 0]
    labels = np.concatenate([data.y_train, data.y_test])
    is_test = np.r_[np.zeros(len(data.y_train), bool), np.ones(len(data.y_test), bool)]
    thickness, slant = measure_thickness(images), measure_slant(images)
    t_words, s_words = thickness_word(thickness), slant_word(slant)
    out = Path(out) if out is not None else default_dataset_path(data.source)
    with replaced_atomically(out) as tmp:  # the shared cache: never half a file under the real name
        np.savez_compressed(
            tmp,
            images=convert_range(images, UNIT_RANGE, BYTE_RANGE),
            labels=labels.astype(np.int64),
            captions=make_captions(labels, t_words, s_words, captions_per_image, seed=seed),
            heldout_captions=make_captions(labels, t_words, s_words, 2, heldout=True, seed=seed + 1),
            thickness=thickness, slant=slant, thickness_words=t_words, slant_words=s_words, is_test=is_test,
            source=np.asarray(data.source), thickness_edges=np.asarray(THICKNESS_EDGES),
            slant_edges=np.asarray(SLANT_EDGES),
        )
    if verbose:
        print(f"Saved {len(labels)} captioned digits ({captions_per_image} captions each) to {out}")
    return out


def load_captioned_dataset(path) -> dict:
    """Read a file made by :func:`build_captioned_dataset`, checking that it is whole."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no captioned dataset here; make one with `course data build`")
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in DATASET_KEYS if k not in f.files]
            if missing:
                raise ValueError(f"{path}: not a captioned-digits file; missing {', '.join(missing)}")
            arrays = {k: f[k] for k in f.files}
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise ValueError(f"{path}: unreadable or truncated captioned-digits file ({err}); "
                         "rebuild it with `course data build`") from err
    n = len(arrays["labels"])
    if arrays["images"].shape[0] != n or arrays["captions"].shape[0] != n:
        raise ValueError(f"{path}: images, labels and captions disagree in length")
    return arrays
