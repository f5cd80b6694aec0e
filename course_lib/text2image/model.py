"""Text -> image: the GAN that draws the digit a caption describes, in the style it describes.

* The caption becomes a vector with Week 5's sentence encoder (``course_lib.text``).
* The GAN is Week 6's ``course_lib.gan.GAN`` in its conditional form, with the caption vector as
  the condition: the **generator** is ``gan.build_conditional_generator`` (the caption's
  projection joins the noise and is tiled over the 7x7 map), the **discriminator**
  ``gan.build_conditional_discriminator``, a projection discriminator that scores (image,
  caption) pairs. Its ``d_step`` is GAN-CLS (Reed et al., 2016): a real image with its own
  caption is real (1); a generated image and a real image with a *mismatched* caption are fake (0).
* Train it with ``fit()`` inside ``tf.distribute.get_strategy().scope()``; ``course_lib.text2image.run``
  does that in a resumable run directory.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from course_lib._inference import run_model
from course_lib._presets import Presets
from course_lib.data import BYTE_RANGE, IMAGE_SHAPE, TANH_RANGE, convert_range
from course_lib.gan import GAN, build_conditional_discriminator, build_conditional_generator, sample_noise


@dataclass(frozen=True)
class Text2ImageConfig(Presets):
    """Everything that shapes a training run; ``Text2ImageConfig.preset("quick")`` etc."""

    name: str = "quick"  # the preset it came from: the run reports it, and a quick run fits a quick encoder
    num_epochs: int = 15
    batch_size: int = 32
    latent_dim: int = 64
    text_proj_dim: int = 64
    g_filters: int = 128  # channels at 7x7; halved at 14x14
    d_filters: int = 64   # channels at 14x14; doubled at 7x7
    d_features: int = 256
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta_1: float = 0.5
    mismatch_weight: float = 0.5  # share of the "fake" term given to real-image/wrong-caption pairs
    # momentum of a moving average of G's weights, kept by G's optimizer; drawing uses the average
    # (smoother than the last step's weights: Yazici et al., 2019). None: draw with the last weights.
    generator_ema: float | None = 0.99
    max_images: int | None = None  # train on a subset (tests)
    mixed_precision: bool = False  # GPU only
    # compile the training step with XLA, which fuses its many small ops (one device only: XLA cannot
    # place the step's variables on several replicas' devices, so a distributed run trains without it)
    jit_compile: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Text2ImageConfig":
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        known.setdefault("generator_ema", None)  # runs saved before the average existed had none
        return cls(**known)


# Batch 32: twice the updates of 64 per epoch, at about the same time per epoch on a CPU. The quick preset's larger
# learning rates reach in 13 epochs what 2e-4 did not in 15 (held-out phrasings 99.1% against 96.6%; final project
# README); the full preset keeps 2e-4, with which the shipped model was trained.
Text2ImageConfig.presets = {
    "quick": Text2ImageConfig(name="quick", num_epochs=13, batch_size=32, lr_g=5e-4, lr_d=5e-4),
    "full": Text2ImageConfig(name="full", num_epochs=30, batch_size=32, g_filters=256, d_filters=64, d_features=512),
}


def build_text2image_generator(config: Text2ImageConfig, text_dim: int):
    """The generator alone, ``[z, caption vector] -> image``: Week 6's ``build_conditional_generator``."""
    return build_conditional_generator(config.latent_dim, text_dim, cond_proj_dim=config.text_proj_dim,
                                       filters=(config.g_filters, config.g_filters // 2), name="text2image_generator")


def build_text2image_gan(config: Text2ImageConfig, text_dim: int) -> GAN:
    """G, D and the compiled conditional ``GAN``, built in the current distribution strategy's scope.

    ``config.mixed_precision`` builds both networks under Keras's ``mixed_float16`` policy (float16
    arithmetic, float32 weights; fast on GPUs with tensor cores) and ``GAN.compile`` then scales the
    losses. The global policy is restored afterwards, so later models are not affected.
    """
    import keras
    import tensorflow as tf

    policy = keras.mixed_precision.global_policy()
    strategy = tf.distribute.get_strategy()
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        with strategy.scope():
            generator = build_text2image_generator(config, text_dim)
            discriminator = build_conditional_discriminator(text_dim, filters=(config.d_filters, 2 * config.d_filters),
                                                            features=config.d_features,
                                                            name="text2image_discriminator")
            gan = GAN(generator, discriminator, config.latent_dim, mismatch_weight=config.mismatch_weight)
            ema = {"use_ema": True, "ema_momentum": config.generator_ema} if config.generator_ema else {}
            gan.compile(d_optimizer=keras.optimizers.Adam(config.lr_d, beta_1=config.beta_1),
                        g_optimizer=keras.optimizers.Adam(config.lr_g, beta_1=config.beta_1, **ema),
                        jit_compile=config.jit_compile and strategy.num_replicas_in_sync == 1)
    finally:
        keras.mixed_precision.set_global_policy(policy)
    return gan


def caption_dataset(images, caption_vectors, batch_size: int, *, seed: int = 0):
    """A tf.data pipeline of (image in [-1, 1], one random caption vector of that image).

    ``images``: (N, 28, 28[, 1]) uint8, as stored in the captioned dataset; ``caption_vectors``:
    (N, K, D), K captions each. A new caption is drawn for every image on every epoch.
    """
    import tensorflow as tf

    if np.asarray(images).dtype != np.uint8:
        raise TypeError(f"expected the captioned dataset's uint8 images, got {np.asarray(images).dtype}")
    x = convert_range(images, BYTE_RANGE, TANH_RANGE).reshape((-1,) + IMAGE_SHAPE)
    vecs = np.asarray(caption_vectors, dtype=np.float32)
    if vecs.ndim != 3 or len(vecs) != len(x):
        raise ValueError(f"caption_vectors should be (N={len(x)}, K, D), got {vecs.shape}")
    k = vecs.shape[1]

    def pick(image, vectors):
        j = tf.random.uniform((), 0, k, dtype=tf.int32)
        return image, vectors[j]

    ds = tf.data.Dataset.from_tensor_slices((x, vecs))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(pick, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def generate_images(generator, text_vectors, n: int, *, seed: int = 0, latent_dim: int | None = None):
    """``n`` images for each caption vector: (P, n, 28, 28) floats in [-1, 1]. Same seed, same images.

    The same ``n`` noise vectors serve every caption, so rows differ only by their text; all
    P * n images are drawn in one batched call (one call per prompt costs far more on a CPU).
    """
    vecs = np.asarray(text_vectors, dtype=np.float32)
    if vecs.ndim != 2 or len(vecs) == 0:
        raise ValueError(f"expected caption vectors shaped (prompts, D), got {vecs.shape}")
    z = sample_noise(n, latent_dim or generator.inputs[0].shape[-1], seed)
    images = run_model(generator, [np.tile(z, (len(vecs), 1)), np.repeat(vecs, n, axis=0)], batch_size=1024)
    return np.asarray(images, dtype=np.float32)[..., 0].reshape((len(vecs), n) + images.shape[1:3])
