"""GANs: the losses, the generator and discriminator builders, and a ``GAN`` trained with ``fit()``.

One label convention everywhere in the course: **real = 1, fake = 0**. A
discriminator outputs one *logit* per example (no sigmoid): D(x) = sigmoid(logit)
is its probability that x is real. The losses take logits, which is numerically
safer than taking log of probabilities.

* Losses: ``bce_with_logits``, ``discriminator_loss``, ``generator_loss``
  (non-saturating by default, saturating on request) and ``value_function``.
* Builders (defined in ``course_lib.gan_models``, importable from here): the MLP GAN of
  Week 4, the DCGAN of Week 6, and a conditional DCGAN (``build_conditional_generator``
  / ``build_conditional_discriminator``) whose condition can be any vector: a one-hot
  digit class or a sentence embedding.
* ``DCGANConfig`` with the quick and full presets, and ``build_dcgan(config)``.
* ``GAN``: a ``keras.Model`` whose ``train_step`` does one discriminator step then one
  generator step. Build it inside ``tf.distribute.get_strategy().scope()`` and it
  trains on several devices too: the losses are per-example and averaged over the
  global batch.

Callbacks (sample grids, GIF, checkpoints) and resumable training live in
``course_lib.gan_callbacks``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import keras
import numpy as np
from keras import ops

from course_lib.gan_models import IMAGE_SHAPE

REAL_LABEL = 1.0
FAKE_LABEL = 0.0


# ============================================================================ losses
def bce_with_logits(labels, logits):
    """Binary cross-entropy per example, from logits: shape ``(batch,)``.

    ``-[y log sigmoid(l) + (1 - y) log(1 - sigmoid(l))]`` written as
    ``y softplus(-l) + (1 - y) softplus(l)``, which never takes the log of 0.
    ``labels`` may be a number (broadcast) or an array like ``logits``; axes after
    the first are averaged.
    """
    logits = ops.convert_to_tensor(logits, dtype="float32")
    labels = ops.broadcast_to(ops.cast(labels, logits.dtype), ops.shape(logits))
    per_value = labels * ops.softplus(-logits) + (1.0 - labels) * ops.softplus(logits)
    if len(per_value.shape) == 0:
        raise ValueError("logits should have a batch axis (one logit per example), got a scalar")
    if len(per_value.shape) == 1:
        return per_value
    return ops.mean(ops.reshape(per_value, (ops.shape(per_value)[0], -1)), axis=1)


def discriminator_loss(real_logits, fake_logits, *, real_label: float = REAL_LABEL, per_example: bool = False):
    """The discriminator's loss: BCE(D(x), real) + BCE(D(G(z)), fake).

    Low when D outputs high logits on real examples and low logits on fakes. With
    ``real_label=1`` it equals minus the value function. ``real_label=0.9`` is
    one-sided label smoothing. ``per_example=True`` returns the ``(batch,)`` vector
    (real and fake batches must then have the same size), for distributed training.
    """
    real = bce_with_logits(real_label, real_logits)
    fake = bce_with_logits(FAKE_LABEL, fake_logits)
    if per_example:
        return real + fake
    return ops.mean(real) + ops.mean(fake)


def generator_loss(fake_logits, *, saturating: bool = False, per_example: bool = False):
    """The generator's loss on D's logits for generated examples.

    * non-saturating (default): ``-log D(G(z))`` = BCE(D(G(z)), real): G is trained to
      make D say "real". Strong gradients when D rejects the fakes, i.e. early on.
    * saturating: ``log(1 - D(G(z)))``, the minimax game's own term, minimised by G.
      Its gradient vanishes exactly when D confidently rejects the fakes.
    """
    logits = ops.convert_to_tensor(fake_logits, dtype="float32")
    # log(1 - sigmoid(l)) = -softplus(l)
    per = -bce_with_logits(FAKE_LABEL, logits) if saturating else bce_with_logits(REAL_LABEL, logits)
    return per if per_example else ops.mean(per)


def value_function(real_logits, fake_logits):
    """The minimax value V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))]; D maximises it, G minimises it."""
    return -discriminator_loss(real_logits, fake_logits)


# ============================================================================ builders
# The architectures live in course_lib.gan_models; they are part of this module's API.
from course_lib.gan_models import (  # noqa: E402
    MinibatchStdDev,
    build_conditional_discriminator,
    build_conditional_generator,
    build_dcgan_discriminator,
    build_dcgan_generator,
    build_mlp_discriminator,
    build_mlp_generator,
)


# ============================================================================ augmentation for D
def random_shift(images, max_shift: int, fill: float = -1.0):
    """Shift every image by its own random offset of up to ``max_shift`` pixels in each direction.

    Differentiable with respect to the pixels, so it can sit between the generator and the
    discriminator: both real and generated images are shifted before D sees them, which keeps a
    discriminator trained on few images from memorising them (differentiable augmentation,
    Zhao et al., 2020). Uncovered pixels get ``fill`` (-1: the background of a tanh image).
    """
    import tensorflow as tf

    if max_shift <= 0:
        return images
    n, h, w = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
    m = int(max_shift)
    padded = tf.pad(images, [[0, 0], [m, m], [m, m], [0, 0]], constant_values=fill)
    dy = tf.random.uniform((n,), 0, 2 * m + 1, dtype=tf.int32)
    dx = tf.random.uniform((n,), 0, 2 * m + 1, dtype=tf.int32)
    rows = dy[:, None] + tf.range(h)[None, :]
    cols = dx[:, None] + tf.range(w)[None, :]
    shifted = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(shifted, cols, axis=2, batch_dims=1)


# ============================================================================ configuration
@dataclass(frozen=True)
class DCGANConfig:
    """The Week 6 DCGAN's architecture and training settings; presets side by side below."""

    latent_dim: int = 100
    g_filters: tuple = (128, 64)   # channels at 7x7, then at 14x14
    d_filters: tuple = (64, 128)   # channels at 14x14, then at 7x7
    kernel_size: int = 4
    g_refine: bool = False         # a stride-1 transposed conv at 7x7 in G
    d_dense: int = 0               # a hidden Dense layer of this size before D's logit
    batch_size: int = 64
    num_epochs: int = 40
    lr_g: float = 2e-4
    lr_d: float = 2e-4             # TTUR: a larger rate for D than for G
    beta_1: float = 0.5
    real_label: float = 1.0        # 0.9: one-sided label smoothing
    instance_noise: float = 0.0
    minibatch_std: bool = False
    d_dropout: float = 0.0
    augment_shift: int = 0         # shift D's inputs by up to this many pixels (real and fake alike)
    train_subset: int | None = None  # train on this many images only

    @classmethod
    def for_mode(cls, **overrides) -> "DCGANConfig":
        """The preset of the current run mode (see ``course_lib.runtime``), with field overrides."""
        from dataclasses import replace

        from course_lib.runtime import is_quick

        return replace(DCGAN_PRESETS["quick" if is_quick() else "full"], **overrides)

    def summary(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in asdict(self).items())


# Quick: a smaller network, 8 epochs on 4,000 digits (CI, grading, a laptop CPU). Full: the real run,
# with the changes that measurably helped on the bundled digits (bench/bench_dcgan.py, week6 README):
# 5x5 kernels as in Radford et al., a 7x7 refine block in G, a hidden Dense layer in D, batch size 32.
DCGAN_PRESETS = {
    "quick": DCGANConfig(g_filters=(64, 32), d_filters=(32, 64), num_epochs=8, train_subset=4000),
    "full": DCGANConfig(kernel_size=5, g_refine=True, d_dense=512, batch_size=32, num_epochs=120),
}


def build_dcgan(config: DCGANConfig | None = None):
    """G, D and a compiled ``GAN`` from a ``DCGANConfig``, built in the current strategy's scope."""
    import tensorflow as tf

    config = config or DCGANConfig.for_mode()
    with tf.distribute.get_strategy().scope():
        g = build_dcgan_generator(config.latent_dim, config.g_filters, kernel_size=config.kernel_size,
                                  refine=config.g_refine)
        d = build_dcgan_discriminator(filters=config.d_filters, kernel_size=config.kernel_size,
                                      minibatch_std=config.minibatch_std, dropout=config.d_dropout,
                                      dense_units=config.d_dense)
        gan = GAN(g, d, real_label=config.real_label, instance_noise=config.instance_noise,
                  augment_shift=config.augment_shift)
        gan.compile(d_optimizer=keras.optimizers.Adam(config.lr_d, beta_1=config.beta_1),
                    g_optimizer=keras.optimizers.Adam(config.lr_g, beta_1=config.beta_1))
    return gan


def training_images(images, config: DCGANConfig | None = None, *, seed: int = 0) -> np.ndarray:
    """[0, 1] images -> the GAN's [-1, 1] training set, subsampled to ``config.train_subset``."""
    from course_lib.data import to_tanh_range

    x = np.asarray(images, dtype=np.float32)
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"expected images in [0, 1] as loaded by course_lib.data, found [{x.min():.3g}, {x.max():.3g}]")
    subset = config.train_subset if config is not None else None
    if subset is not None and subset < len(x):
        x = x[np.random.default_rng(seed).choice(len(x), subset, replace=False)]
    return to_tanh_range(x)


# ============================================================================ the GAN model
def sample_noise(n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """``n`` fixed latent vectors from N(0, 1), float32; the same seed gives the same vectors."""
    return np.random.default_rng(seed).standard_normal((int(n), int(latent_dim))).astype(np.float32)


class GAN(keras.Model):
    """A generator and a discriminator trained against each other with ``fit()``.

    ``fit`` takes real images in [-1, 1] (NHWC), or ``(images, conditions)`` when G and
    D are conditional (two inputs each). Every ``train_step`` runs ``d_step`` (D learns
    real = 1, fake = 0; only D's weights change) then ``g_step`` (G learns to make D
    say 1; only G's weights change), and reports ``d_loss``, ``g_loss`` and D's mean
    probabilities ``d_real`` = D(x) and ``d_fake`` = D(G(z)).

    Options (the training tricks of Week 6):

    * ``real_label``: 1.0, or e.g. 0.9 for one-sided label smoothing;
    * ``instance_noise``: std of Gaussian noise added to every image D sees (real and
      fake); a variable, so ``gan_callbacks.AnnealInstanceNoise`` can lower it;
    * ``saturating``: use the saturating generator loss (to see why one does not);
    * ``augment_shift``: shift every image D sees (real and fake) by up to this many pixels,
      differentiable augmentation for small datasets (``random_shift``);
    * ``mismatch_weight`` (conditional only): share of the "fake" term given to real
      images paired with another example's condition, so D learns whether image and
      condition match (GAN-CLS). Conditions are shifted by one within the batch.

    The two learning rates come with the optimizers: ``compile(d_optimizer, g_optimizer)``
    (TTUR is simply a larger rate for D).
    """

    def __init__(self, generator, discriminator, latent_dim: int | None = None, *, real_label: float = REAL_LABEL,
                 instance_noise: float = 0.0, saturating: bool = False, mismatch_weight: float = 0.5,
                 augment_shift: int = 0, **kwargs):
        super().__init__(**kwargs)
        g_inputs, d_inputs = len(generator.inputs), len(discriminator.inputs)
        if g_inputs not in (1, 2) or g_inputs != d_inputs:
            raise ValueError(f"the generator takes {g_inputs} inputs and the discriminator {d_inputs}: use "
                             "1 and 1 (unconditional) or 2 and 2 ([z, cond] and [image, cond])")
        if tuple(generator.outputs[0].shape[1:]) != tuple(discriminator.inputs[0].shape[1:]):
            raise ValueError(f"the generator makes {tuple(generator.outputs[0].shape[1:])} outputs but the "
                             f"discriminator expects {tuple(discriminator.inputs[0].shape[1:])}")
        if not 0.0 < real_label <= 1.0:
            raise ValueError(f"real_label should be in (0, 1] (real = 1, fake = 0), got {real_label}")
        if not 0.0 <= mismatch_weight < 1.0:
            raise ValueError(f"mismatch_weight should be in [0, 1), got {mismatch_weight}")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = int(latent_dim or generator.inputs[0].shape[-1])
        self.conditional = g_inputs == 2
        self.real_label, self.saturating = float(real_label), bool(saturating)
        self.mismatch_weight = float(mismatch_weight) if self.conditional else 0.0
        if instance_noise < 0:
            raise ValueError(f"instance_noise is a standard deviation and cannot be negative, got {instance_noise}")
        self._noisy = instance_noise > 0
        self.augment_shift = int(augment_shift)
        self.instance_noise = keras.Variable(float(instance_noise), trainable=False, name="instance_noise")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "d_real", "d_fake")}
        # G and D are built already; this stops fit() from building the wrapper by calling it on data
        self.built = True

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Adam(2e-4, beta_1=0.5) for each network unless given (the DCGAN paper's settings)."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        if self.d_optimizer is self.g_optimizer:
            raise ValueError("give G and D their own optimizers: each keeps state for its own weights")
        # Build the optimizer state now, in the strategy's scope (lazily, inside a replica, it would fail).
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    # ------------------------------------------------------------------ helpers
    def _unpack(self, data):
        """Real images and (for a conditional GAN) their conditions from a batch of fit()."""
        if isinstance(data, (tuple, list)):
            images = data[0]
            cond = data[1] if len(data) > 1 else None
        else:
            images, cond = data, None
        if self.conditional and cond is None:
            raise ValueError("a conditional GAN trains on (images, conditions) pairs: fit(x=images, y=conditions)")
        images = ops.cast(images, "float32")
        return images, (ops.cast(cond, "float32") if self.conditional else None)

    def _g_inputs(self, z, cond):
        return [z, cond] if self.conditional else z

    def _d_logits(self, images, cond, training=True):
        images = random_shift(images, self.augment_shift)
        if self._noisy:  # decided once, so a GAN without instance noise has no noise op at all
            images = images + self.instance_noise * self._normal(ops.shape(images))
        return self.discriminator([images, cond] if self.conditional else images, training=training)

    @staticmethod
    def _normal(shape):
        # TensorFlow's stateful op: every replica and every step draws new numbers
        import tensorflow as tf

        return tf.random.normal(shape)

    def _noise(self, n):
        return self._normal((n, self.latent_dim))

    @staticmethod
    def _average(per_example):
        """Mean over the GLOBAL batch: the per-replica gradients are summed across devices."""
        import tensorflow as tf

        return tf.nn.compute_average_loss(per_example)

    # ------------------------------------------------------------------ the two steps
    def d_step(self, real, cond=None):
        """One discriminator update on a batch of real examples; returns (loss, D(x), D(G(z)))."""
        import tensorflow as tf

        n = ops.shape(real)[0]
        fake = self.generator(self._g_inputs(self._noise(n), cond), training=True)
        with tf.GradientTape() as tape:
            real_logits = self._d_logits(real, cond)
            fake_logits = self._d_logits(fake, cond)
            per_example = (bce_with_logits(self.real_label, real_logits)
                           + (1.0 - self.mismatch_weight) * bce_with_logits(FAKE_LABEL, fake_logits))
            if self.mismatch_weight:
                # a real image with someone else's condition is a "fake" pair
                wrong_logits = self._d_logits(real, tf.roll(cond, shift=1, axis=0))
                per_example += self.mismatch_weight * bce_with_logits(FAKE_LABEL, wrong_logits)
            loss = self._average(per_example)
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss, ops.mean(ops.sigmoid(real_logits)), ops.mean(ops.sigmoid(fake_logits))

    def g_step(self, n, cond=None):
        """One generator update on ``n`` fresh latent vectors; returns the generator loss."""
        import tensorflow as tf

        with tf.GradientTape() as tape:
            fake = self.generator(self._g_inputs(self._noise(n), cond), training=True)
            per_example = generator_loss(self._d_logits(fake, cond), saturating=self.saturating, per_example=True)
            loss = self._average(per_example)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss

    def train_step(self, data):
        import tensorflow as tf

        real, cond = self._unpack(data)
        d_loss, d_real, d_fake = self.d_step(real, cond)
        g_loss = self.g_step(ops.shape(real)[0], cond)
        # each replica's loss is its share of the global mean: scale back to report the mean itself
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        for name, value in (("d_loss", d_loss * replicas), ("g_loss", g_loss * replicas),
                            ("d_real", d_real), ("d_fake", d_fake)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # ------------------------------------------------------------------ using the generator
    def generate(self, z=None, cond=None, *, n: int | None = None, seed: int = 0) -> np.ndarray:
        """Generated examples as a NumPy array in [-1, 1] (G in inference mode).

        Pass latent vectors ``z``, or ``n`` to draw them with ``seed``. Conditional GANs
        need ``cond`` with one row per example.
        """
        if z is None:
            if n is None:
                n = len(cond) if cond is not None else 16
            z = sample_noise(n, self.latent_dim, seed)
        z = np.asarray(z, dtype=np.float32)
        if self.conditional:
            if cond is None or len(cond) != len(z):
                raise ValueError(f"a conditional GAN needs one condition per latent vector ({len(z)})")
            inputs = [z, np.asarray(cond, dtype=np.float32)]
        else:
            inputs = z
        return np.asarray(self.generator.predict(inputs, verbose=0, batch_size=256))


__all__ = [
    "DCGANConfig", "DCGAN_PRESETS", "FAKE_LABEL", "GAN", "build_dcgan", "training_images", "IMAGE_SHAPE", "MinibatchStdDev", "REAL_LABEL", "bce_with_logits",
    "build_conditional_discriminator", "random_shift", "build_conditional_generator", "build_dcgan_discriminator",
    "build_dcgan_generator", "build_mlp_discriminator", "build_mlp_generator", "discriminator_loss",
    "generator_loss", "sample_noise", "value_function",
]
