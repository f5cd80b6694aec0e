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

from course_lib._presets import Presets
from course_lib.data import BYTE_RANGE, IMAGE_SHAPE, TANH_RANGE, convert_range
from course_lib.gan import GAN, build_conditional_discriminator, build_conditional_generator, sample_noise


@dataclass(frozen=True)
class Text2ImageConfig(Presets):
    """Everything that shapes a training run; ``Text2ImageConfig.preset("quick")`` etc."""

    name: str = "quick"  # the preset it came from: the run reports it, and a quick run fits a quick encoder
    num_epochs: int = 15
    batch_size: int = 64
    latent_dim: int = 64
    text_proj_dim: int = 64
    g_filters: int = 128  # channels at 7x7; halved at 14x14
    d_filters: int = 64   # channels at 14x14; doubled at 7x7
    d_features: int = 256
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta_1: float = 0.5
    mismatch_weight: float = 0.5  # share of the "fake" term given to real-image/wrong-caption pairs
    max_images: int | None = None  # train on a subset (tests)
    mixed_precision: bool = False  # GPU only

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Text2ImageConfig":
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


Text2ImageConfig.presets = {
    "quick": Text2ImageConfig(name="quick", num_epochs=15),
    "full": Text2ImageConfig(name="full", num_epochs=60, g_filters=256, d_filters=64, d_features=512),
}


def build_text2image_gan(config: Text2ImageConfig, text_dim: int) -> GAN:
    """G, D and the compiled conditional ``GAN``, built in the current distribution strategy's scope."""
    import keras
    import tensorflow as tf

    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    with tf.distribute.get_strategy().scope():
        generator = build_conditional_generator(config.latent_dim, text_dim, cond_proj_dim=config.text_proj_dim,
                                                filters=(config.g_filters, config.g_filters // 2),
                                                name="text2image_generator")
        discriminator = build_conditional_discriminator(text_dim, filters=(config.d_filters, 2 * config.d_filters),
                                                        features=config.d_features,
                                                        name="text2image_discriminator")
        gan = GAN(generator, discriminator, config.latent_dim, mismatch_weight=config.mismatch_weight)
        gan.compile(d_optimizer=keras.optimizers.Adam(config.lr_d, beta_1=config.beta_1),
                    g_optimizer=keras.optimizers.Adam(config.lr_g, beta_1=config.beta_1))
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
    """``n`` images for each caption vector: (P, n, 28, 28) floats in [-1, 1]. Same seed, same images."""
    vecs = np.asarray(text_vectors, dtype=np.float32)
    z = sample_noise(n, latent_dim or generator.inputs[0].shape[-1], seed)
    out = []
    for v in vecs:  # the same noise for every prompt, so rows differ only by their text
        imgs = generator.predict([z, np.repeat(v[None], n, axis=0)], verbose=0, batch_size=256)
        out.append(np.asarray(imgs, dtype=np.float32)[..., 0])
    return np.stack(out)
