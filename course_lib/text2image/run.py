"""A text2image run directory: train (resumably), reload and generate.

Training goes through Week 6's machinery (``course_lib.gan.fit_resumable``), so the run
directory (default ``runs/text2image/``) holds what every course run holds, ``checkpoints/``,
``history.csv``, ``losses.png`` and ``samples/`` (one row per sample prompt, after every
epoch), plus what is specific to text:

* ``config.json``: the preset, the (resolved) data source and the text dimension;
* ``encoder.npz``: the sentence encoder, so generation embeds prompts the way training did.
"""
from __future__ import annotations

import json
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib._files import replaced_atomically
from course_lib._inference import run_model
from course_lib._pretrained import pretrained_path
from course_lib.data import BYTE_RANGE, TANH_RANGE, convert_range, resolve_source
from course_lib.gan import GAN, SampleGrid, clear_run, fit_resumable, read_history, restore_gan, sample_noise
from course_lib.runtime import quiet_tensorflow, set_seed
from course_lib.text import SLANT_WORDS, THICKNESS_WORDS, SentenceEncoder, UnknownWordsWarning, build_caption_encoder
from course_lib.text2image.dataset import build_captioned_dataset, default_dataset_path, load_captioned_dataset
from course_lib.text2image.model import (
    Text2ImageConfig,
    build_text2image_gan,
    build_text2image_generator,
    caption_dataset,
)
from course_lib.text2image.prompts import open_attributes, plan_prompt

DEFAULT_RUN_DIR = Path("runs/text2image")
_CONFIG_FILE, _ENCODER_FILE = "config.json", "encoder.npz"
# The pretrained model shipped with the course: course_lib/pretrained/<this>/ (course pretrained export)
PRETRAINED_TEXT2IMAGE = "text2image-full-mnist-5k"
_GENERATOR_FILE = "generator.npz"
_SLANT_PHRASES = {"left": "leaning left", "upright": "upright", "right": "leaning right"}
# Prompts drawn after every epoch, so the sample grids show the same things improving.
SAMPLE_PROMPTS = [
    "a thick seven leaning right", "a thin 7", "a handwritten 0", "the digit three",
    "a bold 4, upright", "a thin five leaning left", "an 8", "a 9 that is slanted right",
]


class RunError(RuntimeError):
    """The run directory is missing, incomplete or from an incompatible run."""


# ------------------------------------------------------------------ data and text
def prepare_data(source: str = "auto", *, verbose: bool = True) -> dict:
    """The captioned digits of ``source``, built (a few seconds) the first time, then loaded."""
    source = resolve_source(source)
    path = default_dataset_path(source)
    if not path.exists():
        build_captioned_dataset(source, path, verbose=verbose)
    return load_captioned_dataset(path)


def fit_caption_encoder(captions: np.ndarray, *, quick: bool):
    """A run's sentence encoder: Week 5's ``build_caption_encoder`` fitted on its training captions."""
    return build_caption_encoder(captions, quick=quick)


def encode_captions(encoder, captions: np.ndarray) -> np.ndarray:
    """(N, K) caption strings -> (N, K, D) float32 vectors (unique captions encoded once)."""
    unique, inverse = np.unique(captions.ravel(), return_inverse=True)
    vectors = encoder.encode(list(unique))
    return vectors[inverse].reshape(captions.shape + (vectors.shape[-1],)).astype(np.float32)


def style_counts(data: dict, mask=None) -> np.ndarray:
    """(10, 3, 3): how many digits of each class carry each (thickness, slant) word, among ``data[mask]``."""
    mask = np.ones(len(data["labels"]), bool) if mask is None else mask
    t = np.asarray([THICKNESS_WORDS.index(w) for w in data["thickness_words"][mask]], np.int64)
    s = np.asarray([SLANT_WORDS.index(w) for w in data["slant_words"][mask]], np.int64)
    counts = np.zeros((10, len(THICKNESS_WORDS), len(SLANT_WORDS)), np.int64)
    np.add.at(counts, (data["labels"][mask], t, s), 1)
    return counts


def _read_config(run_dir: Path) -> dict:
    try:
        return json.loads((run_dir / _CONFIG_FILE).read_text())
    except (OSError, ValueError) as err:
        raise RunError(f"{run_dir / _CONFIG_FILE}: unreadable run configuration ({err})") from err


# The settings that shape what a checkpoint holds (the networks' weights, the optimizers' slots): a run resumes
# only with the same ones, as its checkpoints cannot be loaded into other networks.
_NETWORK_FIELDS = ("latent_dim", "text_proj_dim", "g_filters", "d_filters", "d_features", "generator_ema",
                   "mixed_precision")


def saved_config(run_dir) -> Text2ImageConfig | None:
    """The configuration the run in ``run_dir`` was trained with; None where no run was started there."""
    run_dir = Path(run_dir)
    if not (run_dir / _CONFIG_FILE).exists():
        return None
    return Text2ImageConfig.from_dict(_read_config(run_dir)["config"])


def _check_resumable(run_dir: Path, config: Text2ImageConfig, source: str) -> None:
    """Refuse, before anything is written, to go on with a run in other networks or on other data."""
    if not (run_dir / _CONFIG_FILE).exists():
        return
    saved = _read_config(run_dir)
    if saved["source"] != source:
        raise RunError(f"{run_dir} holds a run on {saved['source']!r} data, not {source!r}: use --fresh or another "
                       "--run-dir")
    before = Text2ImageConfig.from_dict(saved["config"])
    changed = [f"{k} {getattr(before, k)!r} there, {getattr(config, k)!r} here" for k in _NETWORK_FIELDS
               if getattr(before, k) != getattr(config, k)]
    if changed:
        raise RunError(f"{run_dir} holds a {before.name}-preset run whose networks differ from this configuration's "
                       f"({'; '.join(changed)}), so it cannot go on with them: use --fresh (fresh=True in Python) to "
                       "start over, deleting that run, or another --run-dir")


# ------------------------------------------------------------------ training
def train(run_dir=DEFAULT_RUN_DIR, config: Text2ImageConfig | None = None, *, source: str = "auto",
          fresh: bool = False, seed: int = 0, verbose="auto", callbacks=(), encoder: SentenceEncoder | None = None) -> GAN:
    """Train (or resume) a text2image GAN in ``run_dir``; return the trained ``GAN``.

    Resumes from the latest checkpoint unless ``fresh`` (which deletes what the run wrote).
    A run whose checkpoint is at or past ``config.num_epochs`` is not trained further.
    ``encoder``: a caption encoder already fitted (``fit_caption_encoder``) for a new run to use
    and save, instead of fitting its own; a run that saved one keeps it, as its generator learned
    from it.
    """
    import tensorflow as tf

    quiet_tensorflow()
    run_dir = Path(run_dir)
    config = config or Text2ImageConfig.preset()
    source = resolve_source(source)  # once: "auto" looks for files (and may probe the network)
    if fresh:
        clear_run(run_dir, extra=(_CONFIG_FILE, _ENCODER_FILE))
    _check_resumable(run_dir, config, source)
    run_dir.mkdir(parents=True, exist_ok=True)
    set_seed(seed)

    data = prepare_data(source, verbose=bool(verbose))
    train_mask = ~data["is_test"]
    images, captions = data["images"][train_mask], data["captions"][train_mask]
    if config.max_images:
        images, captions = images[: config.max_images], captions[: config.max_images]
    if (run_dir / _ENCODER_FILE).exists():
        encoder = SentenceEncoder.load(run_dir / _ENCODER_FILE)
    elif encoder is not None:
        encoder.save(run_dir / _ENCODER_FILE)
    else:
        if verbose:
            print("text2image: fitting the caption encoder (Word2Vec on the bundled texts and the training captions)",
                  flush=True)
        start = time.monotonic()
        encoder = fit_caption_encoder(data["captions"][train_mask], quick=config.name == "quick")
        encoder.save(run_dir / _ENCODER_FILE)
        if verbose:
            print(f"text2image: caption encoder ready, {len(encoder.vocab_):,} words, {time.monotonic() - start:.0f} s")
    vectors = encode_captions(encoder, captions)
    (run_dir / _CONFIG_FILE).write_text(json.dumps(
        {"config": config.to_dict(), "source": source, "text_dim": int(vectors.shape[-1]),
         "style_counts": style_counts(data, train_mask).tolist()}, indent=2))

    gan = build_text2image_gan(config, vectors.shape[-1])
    samples = SampleGrid(run_dir / "samples", cond=encoder.encode(SAMPLE_PROMPTS), ncols=6,
                         row_labels=SAMPLE_PROMPTS, seed=0)
    if verbose:
        print(f"text2image: {config.name} preset, {len(images)} images of {source!r}, {config.num_epochs} epochs; "
              f"strategy {type(tf.distribute.get_strategy()).__name__}")
    fit_resumable(gan, caption_dataset(images, vectors, config.batch_size, seed=seed), run_dir=run_dir,
                  epochs=config.num_epochs, callbacks=[samples, *callbacks], verbose=verbose)
    return gan


# ------------------------------------------------------------------ using a trained run
@dataclass
class Generation:
    """What ``TrainedRun.generate`` draws: one row of ``n`` drawings per prompt, and what each prompt asked.

    * ``images``: uint8 ``(prompts, n, 28, 28 * K)``, white ink on black; prompt ``i``'s drawings are
      ``28 * lengths[i]`` px wide (one 28-px slot per digit, from the left edge), padded with black
      on the right to the widest prompt's ``K`` slots;
    * ``lengths``: ``(prompts,)``, the number of digits each prompt drew;
    * ``digits``: ``(prompts, n, K)``, the digit in each slot (-1 in the padding); for a prompt that names
      no digit, the digit chosen for each drawing;
    * ``unknown_words``: per prompt, the words the encoder did not know and left out;
    * ``plans``: per prompt, how it was read (``prompts.PromptPlan``: slots and their captions).
    """

    prompts: list
    images: np.ndarray
    lengths: np.ndarray
    digits: np.ndarray
    unknown_words: list
    plans: list

    def drawings(self, i: int) -> np.ndarray:
        """Prompt ``i``'s drawings without the padding: ``(n, 28, 28 * lengths[i])``."""
        return self.images[i, :, :, : 28 * int(self.lengths[i])]

    def save_npz(self, path) -> Path:
        """``images``, ``prompts``, ``lengths`` and ``digits`` in one ``.npz`` (read it with ``numpy.load``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, images=self.images, prompts=np.asarray(self.prompts), lengths=self.lengths,
                            digits=self.digits)
        return path


@dataclass
class TrainedRun:
    """A trained generator with the encoder it was trained with (``load_run``): all that drawing needs."""

    generator: object  # the Keras generator: [z, caption vector] -> image in [-1, 1]
    encoder: SentenceEncoder
    config: Text2ImageConfig
    source: str  # the resolved data source it was trained on, e.g. "mnist-5k"
    run_dir: Path  # the run directory, or the folder of the pretrained model
    pretrained: bool = False  # the model shipped with the course, not a run of this machine
    # (10, 3, 3): how many training digits of each class have each (thickness, slant) word; None: unknown
    style_counts: np.ndarray | None = None

    def describe(self) -> str:
        what = "the pretrained model shipped with the course" if self.pretrained else "the run"
        return f"{what} in {self.run_dir} ({self.config.name} preset, {self.source} digits)"

    def encode(self, captions) -> tuple[np.ndarray, list[list[str]]]:
        """Caption vectors ``(len(captions), D)`` and each caption's unknown words (left out, no warning)."""
        captions = list(captions)
        unique = list(dict.fromkeys(captions))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownWordsWarning)
            vectors = self.encoder.encode(unique)
        row = {c: i for i, c in enumerate(unique)}
        return vectors[[row[c] for c in captions]], [self.encoder.split_known(c)[1] for c in captions]

    def generate(self, prompts, n: int = 8, seed: int = 0, *, open_style: bool = True) -> Generation:
        """``n`` drawings per prompt: single digits, numbers of several digits, any digit for a prompt that
        names none (see ``prompts.plan_prompt``). The same noise in every row, so rows differ only by their
        text; within a drawing every digit shares its noise, so a number is written in one hand.

        ``open_style``: a thickness or slant the prompt leaves open is drawn, per drawing, from how often real
        digits have it (``style_counts``, counted at training time) and added to the caption: "a 7" then
        shows 7s of every style as often as real 7s have them, and all digits of a number share one style.

        Unknown words are left out with one ``UnknownWordsWarning`` naming them; a prompt without words,
        without a known word, or with too many digits raises a ``PromptError`` (a ``ValueError``).
        """
        if isinstance(prompts, str):
            raise TypeError("generate() takes a list of prompts; wrap a single prompt in a list: [prompt]")
        prompts = list(prompts)
        if not prompts:
            raise ValueError("no prompts to draw")
        if int(n) != n or n < 1:
            raise ValueError(f"n (drawings per prompt) must be a positive int, got {n!r}")
        n = int(n)
        plans = [plan_prompt(p) for p in prompts]
        for plan in plans:
            if not plan.names_a_digit:
                self._check_known(plan.prompt)
        # Every digit, evenly, in a random order; the same for every such prompt of the call, so that
        # "a thick digit" and "a thin digit" differ only by their text, like every other row.
        any_digit = np.resize(np.random.default_rng(seed).permutation(10), n)
        styles = np.random.default_rng([seed, 1]).random(n)  # one style draw per drawing, shared like the noise
        width = max(plan.length for plan in plans)
        digits = np.full((len(plans), n, width), -1, np.int64)
        captions = []
        for i, plan in enumerate(plans):
            if plan.names_a_digit:
                digits[i, :, : plan.length] = plan.digits
            else:
                digits[i, :, 0] = any_digit
            for j in range(n):
                for k, slot in enumerate(plan.slots):
                    caption = slot.caption if plan.names_a_digit else f"{slot.caption} {any_digit[j]}"
                    if open_style:
                        caption = self._with_style(caption, digits[i, j, : plan.length], styles[j])
                    captions.append(caption)
        vectors, unknown = self.encode(captions)
        z = sample_noise(n, self.config.latent_dim, seed)
        # one row of noise per drawing, shared by its slots: a number is written in one hand
        noise = np.concatenate([np.repeat(z, plan.length, axis=0) for plan in plans])
        drawn = np.asarray(run_model(self.generator, [noise, vectors], batch_size=512), np.float32)[..., 0]
        drawn = convert_range(drawn, TANH_RANGE, BYTE_RANGE)
        images = np.zeros((len(plans), n, 28, 28 * width), np.uint8)
        words, at = [], 0
        for i, plan in enumerate(plans):
            k = plan.length
            block = drawn[at: at + n * k].reshape(n, k, 28, 28)
            images[i, :, :, : 28 * k] = block.transpose(0, 2, 1, 3).reshape(n, 28, 28 * k)
            words.append(list(dict.fromkeys(w for ws in unknown[at: at + n * k] for w in ws)))
            at += n * k
        missing = list(dict.fromkeys(w for ws in words for w in ws))
        if missing:
            warnings.warn(UnknownWordsWarning(f"{len(missing)} unknown word(s) ignored: "
                                              f"{', '.join(repr(w) for w in missing)}"), stacklevel=2)
        return Generation(prompts, images, np.asarray([p.length for p in plans]), digits, words, plans)

    def _with_style(self, caption: str, digits, u: float) -> str:
        """``caption`` plus the style words it leaves open, drawn (by ``u`` in [0, 1)) from real digits' styles."""
        missing = open_attributes(caption)
        if not missing or self.style_counts is None:
            return caption
        table = self.style_counts[np.asarray(digits)].sum(axis=0).ravel()  # (thickness x slant) counts
        cell = min(int(np.searchsorted(np.cumsum(table) / table.sum(), u, side="right")), table.size - 1)
        thickness, slant = divmod(cell, len(SLANT_WORDS))
        words = {"thickness": THICKNESS_WORDS[thickness], "slant": _SLANT_PHRASES[SLANT_WORDS[slant]]}
        return " ".join([caption] + [words[name] for name in missing])

    def _check_known(self, prompt: str):
        """A prompt that names no digit still needs one word the encoder knows (the digit is added later)."""
        if not self.encoder.split_known(prompt)[0]:
            self.encoder.encode([prompt])  # raises EmptyPromptError or NoKnownWordsError, naming the words


def _read_pretrained(folder: Path) -> TrainedRun:
    saved = _read_config(folder)
    config = Text2ImageConfig.from_dict(saved["config"])
    generator = build_text2image_generator(config, int(saved["text_dim"]))
    _load_weights(generator, folder / _GENERATOR_FILE)
    return TrainedRun(generator, SentenceEncoder.load(folder / _ENCODER_FILE), config, saved["source"], folder,
                      pretrained=True, style_counts=_saved_style_counts(saved))


def load_pretrained(folder=None) -> TrainedRun:
    """The small full-preset model shipped with the course (``course pretrained export`` wrote it), or the
    one that ``export_pretrained(run_dir, folder)`` wrote into ``folder``."""
    folder = Path(folder) if folder is not None else pretrained_path(PRETRAINED_TEXT2IMAGE)
    if not (folder / _CONFIG_FILE).is_file():
        raise RunError(f"no pretrained text2image model in {folder}: train one (`course train`) or rebuild it "
                       "(`course pretrained export RUN_DIR`)")
    return _read_pretrained(folder)


def has_run(run_dir) -> bool:
    """Whether ``run_dir`` holds a run that ``load_run`` can read (configuration, encoder and a checkpoint)."""
    run_dir = Path(run_dir)
    return all((run_dir / name).exists() for name in (_CONFIG_FILE, _ENCODER_FILE, "checkpoints/latest.json"))


def load_run(run_dir=None) -> TrainedRun:
    """The trained generator, encoder, configuration and data source of a run, from its latest checkpoint.

    ``run_dir=None``: ``DEFAULT_RUN_DIR`` when it holds a run, else the pretrained model shipped with the
    course (``load_pretrained``), so drawing works before any training.
    """
    if run_dir is None:
        return load_run(DEFAULT_RUN_DIR) if has_run(DEFAULT_RUN_DIR) else load_pretrained()
    run_dir = Path(run_dir)
    if not (run_dir / _CONFIG_FILE).exists() or not (run_dir / _ENCODER_FILE).exists():
        raise RunError(f"no trained text2image run in {run_dir}: run `course train` first")
    saved = _read_config(run_dir)
    config = Text2ImageConfig.from_dict(saved["config"])
    gan = build_text2image_gan(config, int(saved["text_dim"]))
    if not restore_gan(gan, run_dir):
        raise RunError(f"{run_dir} has no checkpoint yet: train for at least one epoch")
    # draw with the moving average of G's weights that its optimizer kept (when the config asks for one)
    gan.g_optimizer.finalize_variable_values(gan.generator.trainable_variables)
    return TrainedRun(gan.generator, SentenceEncoder.load(run_dir / _ENCODER_FILE), config, saved["source"], run_dir,
                      style_counts=_saved_style_counts(saved))


def _saved_style_counts(saved: dict):
    counts = saved.get("style_counts")  # runs trained before it was saved have none: styles stay open
    return None if counts is None else np.asarray(counts, np.int64)


def generate(prompts, run_dir=None, n: int = 8, seed: int = 0, loaded: TrainedRun | None = None,
             open_style: bool = True) -> Generation:
    """``(loaded or load_run(run_dir)).generate(prompts, n, seed)``: see ``TrainedRun.generate``."""
    return (loaded or load_run(run_dir)).generate(prompts, n=n, seed=seed, open_style=open_style)


def export_pretrained(run_dir, folder=None) -> Path:
    """Copy a run's generator (float16, to stay small), encoder and configuration to the pretrained
    folder of the package (``course pretrained export RUN_DIR``); returns the folder."""
    run = load_run(run_dir)
    folder = Path(folder) if folder is not None else pretrained_path(PRETRAINED_TEXT2IMAGE)
    folder.mkdir(parents=True, exist_ok=True)
    saved = _read_config(Path(run_dir))
    _save_weights(run.generator, folder / _GENERATOR_FILE)
    shutil.copyfile(Path(run_dir) / _ENCODER_FILE, folder / _ENCODER_FILE)
    (folder / _CONFIG_FILE).write_text(json.dumps({**saved, "exported_from": str(run_dir),
                                                   "epochs": read_history(run_dir).get("epoch", [0])[-1]},
                                                  indent=2))
    return folder


def _save_weights(model, path: Path):
    """A model's weights as float16 in one ``.npz`` (half the size; drawing does not notice the rounding)."""
    with replaced_atomically(path) as tmp:
        np.savez_compressed(tmp, names=np.asarray([w.path for w in model.weights]),
                            **{f"w{i}": np.asarray(w.numpy(), np.float16) for i, w in enumerate(model.weights)})


def _load_weights(model, path: Path):
    try:
        with np.load(path, allow_pickle=False) as f:
            values = [f[f"w{i}"] for i in range(len(model.weights))]
            names = list(f["names"])
    except (OSError, KeyError, ValueError) as err:
        raise RunError(f"{path}: unreadable generator weights ({err}); rebuild them with "
                       "`course pretrained export RUN_DIR`") from err
    if len(names) != len(model.weights) or any(v.shape != tuple(w.shape) for v, w in zip(values, model.weights)):
        raise RunError(f"{path}: the saved weights do not fit the generator of its config.json")
    for w, v in zip(model.weights, values):
        w.assign(v.astype(np.float32))
