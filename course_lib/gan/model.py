"""``GAN``: a generator and a discriminator trained against each other with ``fit()``.

``GAN`` is a ``keras.Model`` whose ``train_step`` does one discriminator step then one
generator step. Build it inside ``tf.distribute.get_strategy().scope()`` and it trains on
several devices too: the losses are per-example and averaged over the global batch. The
same class trains Week 4's MLP GAN, Week 6's DCGAN and, conditioned on caption vectors,
the final project's text-to-image GAN (GAN-CLS).
"""
from __future__ import annotations

import keras
import numpy as np
from keras import ops

from course_lib._inference import run_model
from course_lib.gan.losses import FAKE_LABEL, REAL_LABEL, bce_with_logits, generator_loss


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
      fake); a variable, so the ``AnnealInstanceNoise`` callback can lower it;
    * ``saturating``: use the saturating generator loss (to see why one does not);
    * ``augment_shift``: shift every image D sees (real and fake) by up to this many pixels,
      differentiable augmentation for small datasets (``random_shift``);
    * ``mismatch_weight`` (conditional only): share of the "fake" term given to real
      images paired with another example's condition, so D learns whether image and
      condition match (GAN-CLS). Conditions are shifted by one within the batch.

    The two learning rates come with the optimizers: ``compile(d_optimizer, g_optimizer)``
    (TTUR is simply a larger rate for D). Under mixed precision (G or D computing in float16),
    ``compile`` wraps each optimizer in Keras's ``LossScaleOptimizer``, and both steps scale
    the loss before taking gradients, so small float16 gradients do not underflow to 0.
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
        if _computes_in_float16(self.generator) or _computes_in_float16(self.discriminator):
            # dynamic loss scaling: the step multiplies the loss, the optimizer divides the gradients back
            self.d_optimizer, self.g_optimizer = (
                opt if isinstance(opt, keras.optimizers.LossScaleOptimizer) else keras.optimizers.LossScaleOptimizer(opt)
                for opt in (self.d_optimizer, self.g_optimizer))
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
        """One discriminator update on a batch of real examples; returns (loss, D(x), D(G(z))).

        The loss per example, with w = ``mismatch_weight`` (0 for an unconditional GAN) and c' the
        condition of the previous example in the batch (GAN-CLS's mismatched pair):
        BCE(D(x, c), real_label) + (1 - w) BCE(D(G(z, c), c), 0) + w BCE(D(x, c'), 0).
        """
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
            # the identity unless the optimizer scales losses (mixed precision); on the tape, so gradients see it
            scaled = self.d_optimizer.scale_loss(loss)
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, weights), weights))
        return loss, ops.mean(ops.sigmoid(real_logits)), ops.mean(ops.sigmoid(fake_logits))

    def g_step(self, n, cond=None):
        """One generator update on ``n`` fresh latent vectors; returns the generator loss."""
        import tensorflow as tf

        with tf.GradientTape() as tape:
            fake = self.generator(self._g_inputs(self._noise(n), cond), training=True)
            per_example = generator_loss(self._d_logits(fake, cond), saturating=self.saturating, per_example=True)
            loss = self._average(per_example)
            scaled = self.g_optimizer.scale_loss(loss)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled, weights), weights))
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
        return run_model(self.generator, inputs, batch_size=256)


def _computes_in_float16(model) -> bool:
    return any(getattr(layer, "compute_dtype", None) == "float16" for layer in model.layers)


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
