"""Text -> image: a GAN that draws the digit a caption describes, in the style it describes.

* The caption becomes a vector with Week 5's sentence encoder (Word2Vec).
* The **generator** projects that vector with a learned Dense layer, joins it to
  the noise, and upsamples with transposed convolutions (Weeks 4 and 6).
* The **discriminator** is matching-aware, as in GAN-CLS (Reed et al., 2016): it
  scores (image, caption) pairs, and learns that a real image with its own caption
  is real (1) while a real image with a *mismatched* caption and a generated image
  are fake (0). Its score adds an image term and a projection term
  <phi(image), psi(text)>, so matching is built into the architecture.
* ``Text2ImageGAN`` is Week 6's ``course_lib.gan.GAN`` (a ``keras.Model`` with ``train_step``)
  in its conditional form, with the caption vector as the condition: train it with ``fit()``
  inside ``tf.distribute.get_strategy().scope()``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from course_lib.runtime import is_quick

IMAGE_SHAPE = (28, 28, 1)


@dataclass(frozen=True)
class Text2ImageConfig:
    """Everything that shapes a training run; the quick and full presets sit side by side below."""

    preset: str = "quick"
    num_epochs: int = 15
    batch_size: int = 64
    latent_dim: int = 64
    text_proj_dim: int = 64
    g_filters: int = 128  # channels at 7x7; halved at each upsampling
    d_filters: int = 64
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


PRESETS = {
    "quick": Text2ImageConfig(preset="quick", num_epochs=15),
    "full": Text2ImageConfig(preset="full", num_epochs=60, g_filters=256, d_filters=64, d_features=512),
}


def get_config(name: str | None = None, **overrides) -> Text2ImageConfig:
    """A preset by name (default: the run mode's), with field overrides."""
    name = name or ("quick" if is_quick() else "full")
    if name not in PRESETS:
        raise ValueError(f"unknown config {name!r}: choose {' or '.join(PRESETS)}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return replace(PRESETS[name], **overrides)


# ------------------------------------------------------------------ the networks
def build_generator(config: Text2ImageConfig, text_dim: int):
    """(noise, caption vector) -> a 28x28x1 image in [-1, 1]."""
    import keras
    from keras import layers

    z = keras.Input((config.latent_dim,), name="noise")
    text = keras.Input((text_dim,), name="caption")
    proj = layers.LeakyReLU(0.2)(layers.Dense(config.text_proj_dim, name="text_projection")(text))
    f = config.g_filters
    h = layers.Concatenate()([z, proj])
    h = layers.Dense(7 * 7 * f, use_bias=False)(h)
    h = layers.ReLU()(layers.BatchNormalization()(h))
    h = layers.Reshape((7, 7, f))(h)
    # the caption again at 7x7, so the upsampling blocks see it at every position
    tiled = layers.UpSampling2D(7)(layers.Reshape((1, 1, config.text_proj_dim))(proj))
    h = layers.Concatenate()([h, tiled])
    h = layers.Conv2DTranspose(f // 2, 4, strides=2, padding="same", use_bias=False)(h)  # 14x14
    h = layers.ReLU()(layers.BatchNormalization()(h))
    out = layers.Conv2DTranspose(1, 4, strides=2, padding="same")(h)  # 28x28
    out = layers.Activation("tanh", dtype="float32", name="image")(out)
    return keras.Model([z, text], out, name="generator")


def build_discriminator(config: Text2ImageConfig, text_dim: int):
    """(image, caption vector) -> one logit: high for a real image with its own caption."""
    import keras
    from keras import layers

    image = keras.Input(IMAGE_SHAPE, name="image")
    text = keras.Input((text_dim,), name="caption")
    f = config.d_filters
    h = layers.LeakyReLU(0.2)(layers.Conv2D(f, 4, strides=2, padding="same")(image))  # 14x14
    h = layers.Conv2D(2 * f, 4, strides=2, padding="same", use_bias=False)(h)  # 7x7
    h = layers.LeakyReLU(0.2)(layers.BatchNormalization()(h))
    phi = layers.LeakyReLU(0.2)(layers.Dense(config.d_features)(layers.Flatten()(h)))
    psi = layers.Dense(config.d_features, name="text_projection")(
        layers.LeakyReLU(0.2)(layers.Dense(128)(text)))
    # projection discriminator: an unconditional term plus how well image and text features agree
    logit = layers.Add(name="logit")([layers.Dense(1)(phi), layers.Dot(axes=1)([phi, psi])])
    logit = layers.Activation("linear", dtype="float32")(logit)
    return keras.Model([image, text], logit, name="discriminator")


# ------------------------------------------------------------------ the training model
def make_text2image_gan(generator, discriminator, latent_dim: int, mismatch_weight: float = 0.5):
    """Wrap G and D in a ``Text2ImageGAN`` (a keras.Model) ready for ``compile`` and ``fit``."""
    return _gan_class()(generator, discriminator, latent_dim=latent_dim, mismatch_weight=mismatch_weight)


_GAN_CLASS = None


def _gan_class():
    """Define the keras.Model subclass on first use, so importing this module stays TensorFlow-free."""
    global _GAN_CLASS
    if _GAN_CLASS is not None:
        return _GAN_CLASS
    from course_lib import gan

    class Text2ImageGAN(gan.GAN):
        """GAN-CLS training: Week 6's conditional ``GAN`` with the caption vector as its condition.

        Labels: real = 1, fake = 0. ``GAN.d_step`` scores the three pairs, with t_wrong the
        caption of another image in the batch (the batch rolled by one):
        BCE(D(x, t), 1) + (1 - w) * BCE(D(G(z, t), t), 0) + w * BCE(D(x, t_wrong), 0).
        ``GAN.g_step`` uses the non-saturating loss BCE(D(G(z, t), t), 1). The two methods
        below compute the same losses on given logits, to inspect and test them.
        """

        def __init__(self, generator, discriminator, latent_dim, mismatch_weight=0.5, **kwargs):
            super().__init__(generator, discriminator, latent_dim, mismatch_weight=mismatch_weight, **kwargs)

        def discriminator_loss(self, real, wrong, fake):
            from keras import ops

            w = self.mismatch_weight
            return (ops.mean(gan.bce_with_logits(self.real_label, real))
                    + (1.0 - w) * ops.mean(gan.bce_with_logits(gan.FAKE_LABEL, fake))
                    + w * ops.mean(gan.bce_with_logits(gan.FAKE_LABEL, wrong)))

        def generator_loss(self, fake):
            return gan.generator_loss(fake)

    _GAN_CLASS = Text2ImageGAN
    return _GAN_CLASS


def build_text2image_gan(config: Text2ImageConfig, text_dim: int):
    """G, D and the compiled training model, built in the current distribution strategy's scope."""
    import keras
    import tensorflow as tf

    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    with tf.distribute.get_strategy().scope():
        generator = build_generator(config, text_dim)
        discriminator = build_discriminator(config, text_dim)
        gan = make_text2image_gan(generator, discriminator, config.latent_dim, config.mismatch_weight)
        gan.compile(
            g_optimizer=keras.optimizers.Adam(config.lr_g, beta_1=config.beta_1),
            d_optimizer=keras.optimizers.Adam(config.lr_d, beta_1=config.beta_1),
        )
    return gan


# ------------------------------------------------------------------ data
def caption_dataset(images, caption_vectors, batch_size: int, *, seed: int = 0):
    """A tf.data pipeline of (image in [-1, 1], one random caption vector of that image).

    ``images``: (N, 28, 28[, 1]) uint8 or [0, 1] floats; ``caption_vectors``: (N, K, D), K captions each.
    A new caption is drawn for every image on every epoch.
    """
    import tensorflow as tf

    x = np.asarray(images)
    x = x.astype(np.float32) / (255.0 if x.dtype == np.uint8 else 1.0)
    x = (x * 2.0 - 1.0).reshape((-1,) + IMAGE_SHAPE)
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
    latent_dim = latent_dim or generator.inputs[0].shape[-1]
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent_dim)).astype(np.float32)
    out = []
    for v in vecs:  # the same noise for every prompt, so rows differ only by their text
        imgs = generator.predict([z, np.repeat(v[None], n, axis=0)], verbose=0, batch_size=256)
        out.append(np.asarray(imgs, dtype=np.float32)[..., 0])
    return np.stack(out)
