"""Captioned digits: measure each digit's style and describe it in words.

The final project needs captions that carry more than the label, so we measure
two style attributes from the pixels and bin them into words:

* stroke **thickness** = ink area / skeleton length (pixels): thin, regular, thick;
* **slant** from image moments (how far x moves per row): leaning left, upright, leaning right.

Captions come from many templates with synonyms, numerals and digit words. Some
templates and synonyms are held out of training (``HELDOUT_*``) so that we can
test whether the model generalises to phrasings it never saw.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
THICKNESS_WORDS = ("thin", "regular", "thick")
SLANT_WORDS = ("left", "upright", "right")

# Bin edges, near the quartiles measured on the course digits (see the final notebook's
# histograms), so about a quarter of the digits fall in each outer bin.
THICKNESS_EDGES = (2.15, 2.95)  # stroke width in pixels: thin < 2.15 <= regular < 2.95 <= thick
SLANT_EDGES = (-0.05, 0.3)  # x shift per row: left < -0.05 <= upright < 0.3 <= right

# Words a caption may use for each attribute value. The held-out synonyms never
# appear in training captions; the encoder must map them near their trained synonyms.
SYNONYMS = {
    "thin": ["thin", "light", "fine", "delicate", "slim"],
    "regular": ["regular", "normal", "medium", "ordinary"],
    "thick": ["thick", "bold", "heavy", "chunky", "broad"],
    "left": ["leaning left", "slanted left", "tilted to the left", "sloping left"],
    "upright": ["upright", "straight", "vertical", "standing straight"],
    "right": ["leaning right", "slanted right", "tilted to the right", "sloping right", "italic"],
}
HELDOUT_SYNONYMS = {
    "thin": ["skinny", "slender"],
    "regular": ["average"],
    "thick": ["fat", "wide"],
    "left": ["leaning backwards"],
    "upright": ["erect"],
    "right": ["leaning forwards"],
}

# {d} digit phrase, {t} thickness phrase, {s} slant phrase.
TEMPLATES = [
    "a {t} {d}",
    "a {d}",
    "handwritten {d}",
    "the digit {d}",
    "a {t} {d} , {s}",
    "the number {d} written in {t} strokes",
    "a {d} that is {s}",
    "a {t} handwritten {d} {s}",
    "the digit {d} , written in {t} strokes and {s}",
    "{d} drawn with a {t} pen",
    "a {s} {d}",
    "a {t} , {s} {d}",
]
HELDOUT_TEMPLATES = [
    "someone wrote a {d} with {t} lines , {s}",
    "please draw a {t} {d}",
    "an image of the numeral {d} , {s}",
]


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


def _as_stack(images) -> np.ndarray:
    """(N, H, W[, 1]) images in [0, 1] or 0-255 -> float32 (N, H, W) in [0, 1]."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 4:
        x = x[..., 0]
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"expected images shaped (N, H, W) or (N, H, W, 1), got {np.shape(images)}")
    if x.max() > 1.5:
        x = x / 255.0
    return x


def measure_thickness(images, threshold: float = 0.5) -> np.ndarray:
    """Mean stroke width in pixels, from the ink area and the skeleton length."""
    ink = _as_stack(images) > threshold
    area = ink.sum(axis=(1, 2)).astype(np.float32)
    length = skeletonize(ink).sum(axis=(1, 2)).astype(np.float32)
    # Thinning also eats about half a stroke width at each end, so solve area = w * (length + w) for w.
    width = (-length + np.sqrt(length**2 + 4 * area)) / 2
    return np.where(length > 0, width, 0.0).astype(np.float32)


def measure_slant(images) -> np.ndarray:
    """Horizontal shift per row from second-order moments; positive means the top leans right."""
    x = _as_stack(images)
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


# ------------------------------------------------------------------ captions
def _fix_articles(text: str) -> str:
    words = text.split(" ")
    for i, w in enumerate(words[:-1]):
        nxt = words[i + 1]
        if w == "a" and nxt[:1] in "aeiou8" and nxt != "one":
            words[i] = "an"
    return " ".join(words)


def caption(label: int, thickness: str, slant: str, rng, *, heldout: bool = False) -> str:
    """One random caption for a digit with the given style words.

    ``heldout=True`` uses only phrasings kept out of training: a held-out template,
    or a training template with a held-out synonym.
    """
    templates = TEMPLATES
    synonyms = SYNONYMS
    if heldout:
        if rng.random() < 0.5:
            templates = HELDOUT_TEMPLATES
        else:
            templates = [t for t in TEMPLATES if "{t}" in t or "{s}" in t]
            synonyms = HELDOUT_SYNONYMS
    template = templates[rng.integers(len(templates))]
    digit = str(label) if rng.random() < 0.5 else DIGIT_WORDS[label]
    t_words, s_words = synonyms[thickness], synonyms[slant]
    text = template.format(d=digit, t=t_words[rng.integers(len(t_words))], s=s_words[rng.integers(len(s_words))])
    return _fix_articles(text).replace(" ,", ",")


def make_captions(labels, thickness_words, slant_words, per_image: int = 5, *, heldout: bool = False,
                  seed: int = 0) -> np.ndarray:
    """``per_image`` captions for every digit: an (N, per_image) array of strings."""
    rng = np.random.default_rng(seed)
    rows = [[caption(int(lab), t, s, rng, heldout=heldout) for _ in range(per_image)]
            for lab, t, s in zip(labels, thickness_words, slant_words)]
    return np.asarray(rows, dtype=str)


# ------------------------------------------------------------------ the dataset file
DATASET_KEYS = ("images", "labels", "captions", "heldout_captions", "thickness", "slant",
                "thickness_words", "slant_words", "is_test")


def default_dataset_path(source: str) -> Path:
    from course_lib.data import data_dir

    return data_dir() / f"captioned_digits_{source}.npz"


def build_captioned_dataset(source: str = "auto", out=None, *, captions_per_image: int = 5,
                            seed: int = 0, verbose: bool = True) -> Path:
    """Measure, caption and save the course digits as one ``.npz`` (load it with ``numpy.load``)."""
    from course_lib.data import load_digits_dataset

    if captions_per_image < 1:
        raise ValueError("captions_per_image must be at least 1")
    data = load_digits_dataset(source, verbose=verbose)
    images = np.concatenate([data.x_train, data.x_test])[..., 0]
    labels = np.concatenate([data.y_train, data.y_test])
    is_test = np.r_[np.zeros(len(data.y_train), bool), np.ones(len(data.y_test), bool)]
    thickness, slant = measure_thickness(images), measure_slant(images)
    t_words, s_words = thickness_word(thickness), slant_word(slant)
    out = Path(out) if out is not None else default_dataset_path(data.source)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial.npz")  # never leave a half-written file under the real name
    np.savez_compressed(
        tmp,
        images=np.round(images * 255).astype(np.uint8),
        labels=labels.astype(np.int64),
        captions=make_captions(labels, t_words, s_words, captions_per_image, seed=seed),
        heldout_captions=make_captions(labels, t_words, s_words, 2, heldout=True, seed=seed + 1),
        thickness=thickness, slant=slant, thickness_words=t_words, slant_words=s_words, is_test=is_test,
        source=np.asarray(data.source), thickness_edges=np.asarray(THICKNESS_EDGES),
        slant_edges=np.asarray(SLANT_EDGES),
    )
    os.replace(tmp, out)
    if verbose:
        print(f"Saved {len(labels)} captioned digits ({captions_per_image} captions each) to {out}")
    return out


def load_captioned_dataset(path) -> dict:
    """Read a file made by :func:`build_captioned_dataset`, checking that it is whole."""
    import zipfile

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
