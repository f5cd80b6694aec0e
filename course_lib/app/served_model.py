"""A text2image run as the web app serves it: found, loaded once, drawn from one request at a time.

``ServedModel`` knows nothing about web pages (``course_lib.app.blocks`` does), so every rule of the
app can be tested without a server: which run is served, what a request may ask for, which
warnings a prompt earns, and how a realism item is picked (a real test digit or a generated one).
"""
from __future__ import annotations

import threading
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.data import BYTE_RANGE
from course_lib.gan import read_history
from course_lib.plotting import save_png, tile_images
from course_lib.text import DIGIT_WORDS, EmptyPromptError, NoKnownWordsError, UnknownWordsWarning
from course_lib.text2image import DEFAULT_RUN_DIR, TrainedRun, load_run, prepare_data
from course_lib.app.ratings import RATINGS_FILE, Rating, RatingsStore, summarize_ratings

DIGIT_CHOICES = tuple(str(d) for d in range(10))
DIGIT_TAB_IMAGES = 5  # the original Handwritten Digit Generator's five images per click
MAX_IMAGES = 16
MAX_SEED = 2**31 - 1
TRAIN_HINT = "course train --config quick"
# The pretrained model ships inside the package; its ratings are kept beside the runs instead.
PRETRAINED_RATINGS_DIR = Path("runs/pretrained_text2image")


class ServedModelError(ValueError):
    """A request the app cannot draw: no trained model yet, or an input out of range. The message is for the page."""


@dataclass(frozen=True)
class RealismItem:
    """One digit shown for rating. Only ``image`` goes to the browser; the rest stays on the server."""

    item_id: str
    shown: str  # "real" or "generated"
    digit: int
    prompt: str  # the caption a generated digit was drawn from ("" for a real digit)
    epoch: int | None
    image: np.ndarray  # uint8 (28, 28), white ink on black like MNIST


def ratings_dir(run: TrainedRun) -> Path:
    """Where a run's realism ratings live: its run directory, or ``PRETRAINED_RATINGS_DIR`` for the shipped model."""
    return PRETRAINED_RATINGS_DIR if run.pretrained else Path(run.run_dir)


def _checked_int(value, name: str, low: int, high: int) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not np.isfinite(number) or number != int(number) or not low <= number <= high:
        raise ServedModelError(f"{name} must be a whole number from {low} to {high:,}, not {value!r}")
    return int(number)


class ServedModel:
    """The run a web app draws from.

    ``run_dir=None`` serves ``runs/text2image`` (``DEFAULT_RUN_DIR``) when it holds a trained run, else the
    pretrained model shipped with the course (``text2image.load_run(None)``). The model is loaded on first use
    and looked for again on every request until there is one, so `course train` can finish while the app runs.
    Ratings go to ``ratings.sqlite`` in the run directory (``PRETRAINED_RATINGS_DIR`` for the pretrained model).
    """

    def __init__(self, run_dir=None, *, seed: int | None = None):
        self.requested = Path(run_dir) if run_dir is not None else None
        self._rng = np.random.default_rng(seed)  # unseeded: every click draws new digits
        self._rng_lock = threading.Lock()  # a numpy Generator is not safe across threads
        self._lock = threading.Lock()  # one Keras model, one request at a time
        self._data_lock = threading.Lock()  # the first realism request may build the captioned digits' file
        self._run: TrainedRun | None = None
        self._epoch: int | None = None
        self._data: dict | None = None
        self._store: RatingsStore | None = None

    # -------------------------------------------------------------- the run
    def load(self) -> TrainedRun:
        """The trained run, loaded once; a ``ServedModelError`` says how to train one when there is none."""
        with self._lock:
            if self._run is None:
                try:
                    run = load_run(self.requested)
                except (RuntimeError, OSError, ValueError, KeyError) as err:
                    where = self.requested or DEFAULT_RUN_DIR  # the error says why, e.g. no pretrained model either
                    raise ServedModelError(
                        f"No trained model in `{where}` ({str(err).rstrip('.')}). Train one with `{TRAIN_HINT}` "
                        "(a few minutes on a laptop) and reload this page, or start the app with `--run-dir` "
                        "pointing at a trained run.") from err
                history = {} if run.pretrained else read_history(run.run_dir)
                self._epoch = history["epoch"][-1] if history else None
                self._run = run
            return self._run

    @property
    def run_dir(self) -> Path:
        """The run directory served (before loading: the one asked for, or the default)."""
        return self._run.run_dir if self._run is not None else (self.requested or DEFAULT_RUN_DIR)

    @property
    def ratings_path(self) -> Path:
        return (ratings_dir(self._run) if self._run is not None else self.run_dir) / RATINGS_FILE

    def _random_int(self, high: int) -> int:
        with self._rng_lock:
            return int(self._rng.integers(high))

    def describe(self) -> str:
        """One Markdown line for the page: which model is served, or how to get one."""
        try:
            run = self.load()
        except ServedModelError as err:
            return f"**No model yet.** {err}"
        epoch = f", epoch {self._epoch}" if self._epoch else ""
        what = "the pretrained model shipped with the course" if run.pretrained else "the run"
        return (f"Drawing with {what} in `{run.run_dir}` ({run.config.name} preset{epoch}, trained on "
                f"{run.source} digits). Ratings are kept in `{self.ratings_path}`.")

    # -------------------------------------------------------------- drawing
    def draw(self, prompt, n, seed) -> tuple[np.ndarray, list[str]]:
        """``n`` uint8 images ``(n, 28, 28 * digits)`` for ``prompt`` from ``seed`` (same seed, same images),
        and what the page should warn about (unknown words, no digit named), as sentences."""
        empty = "Type a sentence that describes a digit, e.g. \"a thick, slanted seven\"."
        if not isinstance(prompt, str) or not prompt.strip():
            raise ServedModelError(empty)
        prompt = prompt.strip()
        n = _checked_int(n, "The number of images", 1, MAX_IMAGES)
        seed = _checked_int(seed, "The seed", 0, MAX_SEED)
        run = self.load()
        with self._lock, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                drawn = run.generate([prompt], n=n, seed=seed)
            except EmptyPromptError:  # only punctuation, e.g. "?!"
                raise ServedModelError(empty) from None
            except NoKnownWordsError:
                raise ServedModelError(
                    f"The model knows none of the words in \"{prompt}\". Name a digit and its style, "
                    "e.g. \"a thin 4\", \"the number 42\" or \"the digit seven, leaning left\".") from None
        notes = []
        unknown = drawn.unknown_words[0]
        if unknown:
            words = ", ".join(f'"{w}"' for w in unknown)
            notes.append(f"Unknown word{'s' * (len(unknown) > 1)} left out: {words}. The rest of the prompt was drawn.")
        if not drawn.plans[0].names_a_digit:
            notes.append("The prompt names no digit, so each image shows a digit chosen at random.")
        notes += [str(w.message) for w in caught if not issubclass(w.category, UnknownWordsWarning)]
        return drawn.drawings(0), list(dict.fromkeys(notes))

    def digit_images(self, digit) -> np.ndarray:
        """The Digit tab: ``DIGIT_TAB_IMAGES`` new images of ``digit`` ("0".."9"), different on every call."""
        text = str(digit).strip() if digit is not None else ""
        if text not in DIGIT_CHOICES:
            raise ServedModelError(f"Choose a digit from 0 to 9, not {digit!r}.")
        images, _ = self.draw(f"a handwritten {DIGIT_WORDS[int(text)]}", DIGIT_TAB_IMAGES, self._random_int(MAX_SEED))
        return images

    @staticmethod
    def save_grid(images, path, *, ncols: int = 8, scale: int = 4) -> Path:
        """The images as one PNG sheet (scaled up, so a 28-pixel digit is not a speck)."""
        return save_png(tile_images(np.asarray(images), ncols=ncols, value_range=BYTE_RANGE, scale=scale), path)

    # -------------------------------------------------------------- realism ratings
    def _test_digits(self) -> dict:
        source = self.load().source
        with self._data_lock:
            if self._data is None:
                data = prepare_data(source, verbose=False)
                test = data["is_test"]
                self._data = {"images": data["images"][test], "labels": data["labels"][test],
                              "captions": data["captions"][test]}
            return self._data

    def realism_item(self) -> RealismItem:
        """A real test digit or a generated one, at random (half and half). A generated digit is drawn from
        the caption of a random real test digit, so both kinds cover the same digits and styles."""
        data = self._test_digits()
        i = self._random_int(len(data["labels"]))
        digit = int(data["labels"][i])
        item_id = uuid.uuid4().hex
        if self._random_int(2) == 0:
            return RealismItem(item_id, "real", digit, "", None, np.asarray(data["images"][i]).reshape(28, 28))
        captions = data["captions"][i]
        prompt = str(captions[self._random_int(len(captions))])
        images, _ = self.draw(prompt, 1, self._random_int(MAX_SEED))
        return RealismItem(item_id, "generated", digit, prompt, self._epoch, images[0])

    @property
    def store(self) -> RatingsStore:
        if self._store is None or self._store.path != self.ratings_path:  # made by the first rating
            self._store = RatingsStore(self.ratings_path)
        return self._store

    def rate(self, item: RealismItem | None, verdict, realism, rater: str = "") -> None:
        """Store a rater's answer about ``item``; bad input raises ``RatingError`` (a ``ValueError``)."""
        if not isinstance(item, RealismItem):
            raise ServedModelError("There is no digit to rate: reload the page to get one.")
        self.store.add(Rating(item.item_id, item.shown, item.digit, verdict, realism, item.prompt, item.epoch, rater))

    def ratings_summary(self) -> dict:
        """The human figures so far (an empty summary before the first rating)."""
        return self.store.summary() if self.ratings_path.exists() else summarize_ratings([])
