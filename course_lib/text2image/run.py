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
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.data import BYTE_RANGE, TANH_RANGE, convert_range, resolve_source
from course_lib.gan import GAN, SampleGrid, clear_run, fit_resumable, restore_gan
from course_lib.runtime import quiet_tensorflow, set_seed
from course_lib.text import DIGIT_GROUPS, SentenceEncoder, build_caption_encoder, tokenize
from course_lib.text2image.dataset import build_captioned_dataset, default_dataset_path, load_captioned_dataset
from course_lib.text2image.model import Text2ImageConfig, build_text2image_gan, caption_dataset, generate_images

DEFAULT_RUN_DIR = Path("runs/text2image")
_CONFIG_FILE, _ENCODER_FILE = "config.json", "encoder.npz"
# Prompts drawn after every epoch, so the sample grids show the same things improving.
SAMPLE_PROMPTS = [
    "a thick seven leaning right", "a thin 7", "a handwritten 0", "the digit three",
    "a bold 4, upright", "a thin five leaning left", "an 8", "a 9 that is slanted right",
]


class RunError(RuntimeError):
    """The run directory is missing, incomplete or from an incompatible run."""


class NoDigitWarning(UserWarning):
    """A prompt names no digit, so the model chooses one by itself."""


@dataclass
class TrainedRun:
    """What generation and evaluation need from a run directory (``load_run``)."""

    gan: GAN
    encoder: SentenceEncoder
    config: Text2ImageConfig
    source: str  # the resolved data source, e.g. "mnist-5k"
    run_dir: Path

    @property
    def generator(self):
        return self.gan.generator


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


def _read_config(run_dir: Path) -> dict:
    try:
        return json.loads((run_dir / _CONFIG_FILE).read_text())
    except (OSError, ValueError) as err:
        raise RunError(f"{run_dir / _CONFIG_FILE}: unreadable run configuration ({err})") from err


# ------------------------------------------------------------------ training
def train(run_dir=DEFAULT_RUN_DIR, config: Text2ImageConfig | None = None, *, source: str = "auto",
          fresh: bool = False, seed: int = 0, verbose="auto", callbacks=()) -> GAN:
    """Train (or resume) a text2image GAN in ``run_dir``; return the trained ``GAN``.

    Resumes from the latest checkpoint unless ``fresh`` (which deletes what the run wrote).
    A run whose checkpoint is at or past ``config.num_epochs`` is not trained further.
    """
    import tensorflow as tf

    quiet_tensorflow()
    run_dir = Path(run_dir)
    config = config or Text2ImageConfig.preset()
    source = resolve_source(source)  # once: "auto" looks for files (and may probe the network)
    if fresh:
        clear_run(run_dir, extra=(_CONFIG_FILE, _ENCODER_FILE))
    if (run_dir / _CONFIG_FILE).exists() and (saved := _read_config(run_dir)["source"]) != source:
        raise RunError(f"{run_dir} holds a run on {saved!r} data, not {source!r}: use --fresh or another --run-dir")
    run_dir.mkdir(parents=True, exist_ok=True)
    set_seed(seed)

    data = prepare_data(source, verbose=bool(verbose))
    train_mask = ~data["is_test"]
    images, captions = data["images"][train_mask], data["captions"][train_mask]
    if config.max_images:
        images, captions = images[: config.max_images], captions[: config.max_images]
    if (run_dir / _ENCODER_FILE).exists():
        encoder = SentenceEncoder.load(run_dir / _ENCODER_FILE)
    else:
        encoder = fit_caption_encoder(data["captions"][train_mask], quick=config.name == "quick")
        encoder.save(run_dir / _ENCODER_FILE)
    vectors = encode_captions(encoder, captions)
    (run_dir / _CONFIG_FILE).write_text(json.dumps(
        {"config": config.to_dict(), "source": source, "text_dim": int(vectors.shape[-1])}, indent=2))

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
def load_run(run_dir=DEFAULT_RUN_DIR) -> TrainedRun:
    """The trained GAN, encoder, configuration and data source of a run, from its latest checkpoint."""
    run_dir = Path(run_dir)
    if not (run_dir / _CONFIG_FILE).exists() or not (run_dir / _ENCODER_FILE).exists():
        raise RunError(f"no trained text2image run in {run_dir}: run `course train` first")
    saved = _read_config(run_dir)
    config = Text2ImageConfig.from_dict(saved["config"])
    gan = build_text2image_gan(config, int(saved["text_dim"]))
    if not restore_gan(gan, run_dir):
        raise RunError(f"{run_dir} has no checkpoint yet: train for at least one epoch")
    return TrainedRun(gan, SentenceEncoder.load(run_dir / _ENCODER_FILE), config, saved["source"], run_dir)


def prompts_without_a_digit(prompts) -> list[str]:
    """The prompts that name no digit, neither as a numeral nor as a word ("a thick digit")."""
    digit_words = {w for words in DIGIT_GROUPS.values() for w in words}
    return [p for p in prompts if not digit_words.intersection(tokenize(p))]


def generate(prompts, run_dir=DEFAULT_RUN_DIR, n: int = 8, seed: int = 0, loaded: TrainedRun | None = None):
    """uint8 images (prompts, n, 28, 28), white ink on black, for each prompt (the same noise in every row)."""
    vague = prompts_without_a_digit(prompts)
    if vague:
        # Every training caption names its digit, so these prompts are off the map; adding
        # digit-free captions to training did not make the digit vary either (README).
        warnings.warn(NoDigitWarning(
            f"{len(vague)} prompt(s) name no digit: {', '.join(repr(p) for p in vague)}. The model was trained on "
            "captions that name one, so it picks a digit by itself, mostly the same one; name a digit, e.g. "
            "\"a thin 4\"."), stacklevel=2)
    run = loaded or load_run(run_dir)
    images = generate_images(run.generator, run.encoder.encode(list(prompts)), n, seed=seed,
                             latent_dim=run.config.latent_dim)
    return convert_range(images, TANH_RANGE, BYTE_RANGE)
