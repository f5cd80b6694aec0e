"""A text2image run directory: train (resumably), reload and generate.

``runs/text2image/`` (the default) holds:

* ``config.json``: the preset, data source and text dimension;
* ``encoder.npz``: the sentence encoder, so generation embeds prompts the same way;
* ``checkpoints/``: weights and optimizer state after every epoch (resume after a disconnect);
* ``history.csv``, ``losses.png`` and ``samples/epoch-XXX.png``: what training looked like.
"""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np

from course_lib import text2image as t2i
from course_lib.checkpoints import RunCheckpoint, epoch_checkpoint_callback

DEFAULT_RUN_DIR = Path("runs/text2image")
# Prompts drawn after every epoch, so the sample grids show the same things improving.
SAMPLE_PROMPTS = [
    "a thick seven leaning right", "a thin 7", "a handwritten 0", "the digit three",
    "a bold 4, upright", "a thin five leaning left", "an 8", "a 9 that is slanted right",
]


class RunError(RuntimeError):
    """The run directory is missing, incomplete or from an incompatible run."""


def _checkpoint(run_dir: Path, gan) -> RunCheckpoint:
    return RunCheckpoint(
        run_dir / "checkpoints",
        models={"generator": gan.generator, "discriminator": gan.discriminator},
        optimizers={"generator": gan.g_optimizer, "discriminator": gan.d_optimizer},
    )


def fit_caption_encoder(captions: np.ndarray, *, quick: bool):
    """The Week 5 sentence encoder, fitted for these captions (the final project's text -> vector)."""
    from course_lib.text import build_caption_encoder

    return build_caption_encoder(list(captions.ravel()), quick=quick)


def _load_encoder(path: Path):
    from course_lib.text import SentenceEncoder

    return SentenceEncoder.load(path)


def encode_captions(encoder, captions: np.ndarray) -> np.ndarray:
    """(N, K) caption strings -> (N, K, D) float32 vectors (unique captions encoded once)."""
    flat = captions.ravel()
    unique, inverse = np.unique(flat, return_inverse=True)
    vectors = encoder.encode(list(unique))
    return vectors[inverse].reshape(captions.shape + (vectors.shape[-1],)).astype(np.float32)


def _sample_callback(run_dir: Path, encoder, latent_dim: int):
    import keras

    from course_lib.text2image_plots import save_prompt_grid

    vectors = encoder.encode(SAMPLE_PROMPTS)
    folder = run_dir / "samples"

    class SampleGrid(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            imgs = t2i.generate_images(self.model.generator, vectors, 6, seed=0, latent_dim=latent_dim)
            save_prompt_grid(imgs, SAMPLE_PROMPTS, folder / f"epoch-{epoch + 1:03d}.png")

    return SampleGrid()


def _history_callback(run_dir: Path, start_epoch: int):
    import keras

    path = run_dir / "history.csv"

    class AppendHistory(keras.callbacks.Callback):
        """Append one row per epoch, so a resumed run continues the same file."""

        def on_train_begin(self, logs=None):
            # a run killed after logging an epoch but before its checkpoint logged one row too many
            if path.exists():
                lines = path.read_text().splitlines()
                kept = [lines[0]] + [ln for ln in lines[1:] if int(float(ln.split(",")[0])) <= start_epoch]
                path.write_text("\n".join(kept) + "\n")

        def on_epoch_end(self, epoch, logs=None):
            new = not path.exists()
            with path.open("a", newline="") as fh:
                writer = csv.writer(fh)
                if new:
                    writer.writerow(["epoch", "d_loss", "g_loss"])
                writer.writerow([epoch + 1, float(logs["d_loss"]), float(logs["g_loss"])])

    return AppendHistory()


def read_history(run_dir) -> dict:
    path = Path(run_dir) / "history.csv"
    if not path.exists():
        return {"epoch": [], "d_loss": [], "g_loss": []}
    rows = list(csv.DictReader(path.open()))
    return {k: [float(r[k]) for r in rows] for k in ("epoch", "d_loss", "g_loss")}


def plot_losses(run_dir, save: bool = True):
    import matplotlib.pyplot as plt

    h = read_history(run_dir)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(h["epoch"], h["d_loss"], label="discriminator")
    ax.plot(h["epoch"], h["g_loss"], label="generator")
    ax.set(xlabel="epoch", ylabel="loss", title="text2image training losses")
    ax.legend()
    fig.tight_layout()
    if save:
        fig.savefig(Path(run_dir) / "losses.png", dpi=100)
    return fig


def prepare_data(source: str = "auto", *, verbose: bool = True) -> dict:
    """The captioned digits for ``source``, built (a few seconds) the first time."""
    from course_lib.captions import build_captioned_dataset, default_dataset_path, load_captioned_dataset
    from course_lib.data import resolve_source

    path = default_dataset_path(resolve_source(source))
    if not path.exists():
        build_captioned_dataset(source, path, verbose=verbose)
    return load_captioned_dataset(path)


def train(run_dir=DEFAULT_RUN_DIR, config: t2i.Text2ImageConfig | None = None, *, source: str = "auto",
          fresh: bool = False, seed: int = 0, verbose="auto", callbacks=()):
    """Train (or resume) a text2image GAN in ``run_dir``; return the trained training model.

    Resumes from the latest checkpoint unless ``fresh``. With a checkpoint at or past
    ``config.num_epochs`` there is nothing left to do and the saved model is returned.
    """
    import tensorflow as tf

    from course_lib.runtime import quiet_tensorflow, set_seed

    quiet_tensorflow()
    run_dir = Path(run_dir)
    config = config or t2i.get_config()
    if fresh and run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    set_seed(seed)

    saved = _read_config(run_dir) if (run_dir / "config.json").exists() else None
    if saved is not None and saved["source"] != _resolved(source):
        raise RunError(f"{run_dir} holds a run on {saved['source']!r} data, not {_resolved(source)!r}: "
                       "use --fresh or another --run-dir")
    data = prepare_data(source, verbose=bool(verbose))
    train_mask = ~data["is_test"]
    images, captions = data["images"][train_mask], data["captions"][train_mask]
    if config.max_images:
        images, captions = images[: config.max_images], captions[: config.max_images]

    encoder_path = run_dir / "encoder.npz"
    if encoder_path.exists():
        encoder = _load_encoder(encoder_path)
    else:
        encoder = fit_caption_encoder(data["captions"][train_mask], quick=config.preset == "quick")
        encoder.save(encoder_path)
    vectors = encode_captions(encoder, captions)
    text_dim = vectors.shape[-1]
    (run_dir / "config.json").write_text(json.dumps(
        {"config": config.to_dict(), "source": _resolved(source), "text_dim": int(text_dim)}, indent=2))

    gan = t2i.build_text2image_gan(config, text_dim)
    checkpoint = _checkpoint(run_dir, gan)
    start = checkpoint.restore()
    if verbose:
        where = f"resuming after epoch {start}" if start else "starting from scratch"
        print(f"text2image: {config.preset} preset, {len(images)} images, {start}/{config.num_epochs} epochs "
              f"done, {where}; strategy {type(tf.distribute.get_strategy()).__name__}")
    if start < config.num_epochs:
        dataset = t2i.caption_dataset(images, vectors, config.batch_size, seed=seed)
        gan.fit(dataset, epochs=config.num_epochs, initial_epoch=start, verbose=verbose,
                callbacks=[_history_callback(run_dir, start), epoch_checkpoint_callback(checkpoint),
                           _sample_callback(run_dir, encoder, config.latent_dim), *callbacks])
        gan.generator.save_weights(run_dir / "generator.weights.h5")
        import matplotlib.pyplot as plt

        plt.close(plot_losses(run_dir))
    return gan


def _resolved(source: str) -> str:
    from course_lib.data import resolve_source

    return resolve_source(source)


def _read_config(run_dir: Path) -> dict:
    try:
        return json.loads((run_dir / "config.json").read_text())
    except (OSError, ValueError) as err:
        raise RunError(f"{run_dir / 'config.json'}: unreadable run configuration ({err})") from err


def load_run(run_dir=DEFAULT_RUN_DIR):
    """(generator, encoder, config) of a trained run, from its latest checkpoint."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").exists() or not (run_dir / "encoder.npz").exists():
        raise RunError(f"no trained text2image run in {run_dir}: run `course train` first")
    saved = _read_config(run_dir)
    config = t2i.Text2ImageConfig.from_dict(saved["config"])
    generator = t2i.build_generator(config, int(saved["text_dim"]))
    final = run_dir / "generator.weights.h5"
    checkpoint = RunCheckpoint(run_dir / "checkpoints", {"generator": generator}, {})
    if checkpoint.exists():
        checkpoint.restore()
    elif final.exists():
        generator.load_weights(final)
    else:
        raise RunError(f"{run_dir} has no checkpoint yet: train for at least one epoch")
    return generator, _load_encoder(run_dir / "encoder.npz"), config


class NoDigitWarning(UserWarning):
    """A prompt names no digit, so the model chooses one by itself."""


def prompts_without_a_digit(prompts) -> list[str]:
    """The prompts that name no digit, neither as a numeral nor as a word ("a thick digit")."""
    from course_lib.text import DIGIT_GROUPS, tokenize

    digit_words = {w for words in DIGIT_GROUPS.values() for w in words}
    return [p for p in prompts if not digit_words.intersection(tokenize(p))]


def generate(prompts, run_dir=DEFAULT_RUN_DIR, n: int = 8, seed: int = 0, loaded=None):
    """uint8 images (prompts, n, 28, 28), white ink on black, for each prompt."""
    import warnings

    vague = prompts_without_a_digit(prompts)
    if vague:
        # Every training caption names its digit, so these prompts are off the map; adding
        # digit-free captions to training did not make the digit vary either (README).
        warnings.warn(NoDigitWarning(
            f"{len(vague)} prompt(s) name no digit: {', '.join(repr(p) for p in vague)}. The model was trained on "
            "captions that name one, so it picks a digit by itself, mostly the same one; name a digit, e.g. "
            "\"a thin 4\"."), stacklevel=2)
    generator, encoder, config = loaded or load_run(run_dir)
    vectors = encoder.encode(list(prompts))
    imgs = t2i.generate_images(generator, vectors, n, seed=seed, latent_dim=config.latent_dim)
    return np.round((imgs + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
