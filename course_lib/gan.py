"""GANs: the losses, the generator and discriminator builders, and a ``GAN`` trained with ``fit()``.

One label convention everywhere in the course: **real = 1, fake = 0**. A
discriminator outputs one *logit* per example (no sigmoid): D(x) = sigmoid(logit)
is its probability that x is real. The losses take logits, which is numerically
safer than taking log of probabilities.

* Losses: ``bce_with_logits``, ``discriminator_loss``, ``generator_loss``
  (non-saturating by default, saturating on request) and ``value_function``.
* Builders: the MLP GAN of Week 4, the DCGAN of Week 6, and a conditional DCGAN
  (``build_conditional_generator`` / ``build_conditional_discriminator``) whose
  condition can be any vector: a one-hot digit class or a sentence embedding.
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
from keras import layers, ops

REAL_LABEL = 1.0
FAKE_LABEL = 0.0
IMAGE_SHAPE = (28, 28, 1)


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
def _leaky(alpha, name=None):
    return layers.LeakyReLU(negative_slope=alpha, name=name)


def _check_image_shape(image_shape):
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape should be (height, width, channels), got {image_shape}")
    return shape


def _check_positive(name, value):
    if int(value) != value or int(value) < 1:
        raise ValueError(f"{name} should be a positive int, got {value!r}")
    return int(value)


def _check_filters(filters, name="filters"):
    filters = tuple(filters)
    if not filters or any(int(f) != f or int(f) < 1 for f in filters):
        raise ValueError(f"{name} should list at least one positive filter count, got {filters}")
    return tuple(int(f) for f in filters)


def build_mlp_generator(latent_dim: int = 100, hidden_units=(256, 512, 1024), *, image_shape=IMAGE_SHAPE,
                        alpha: float = 0.2, name: str = "mlp_generator"):
    """Week 4's generator: z -> Dense(256) -> Dense(512) -> Dense(1024), each with LeakyReLU,
    -> Dense(784, tanh) reshaped to a 28x28x1 image in [-1, 1]."""
    latent_dim = _check_positive("latent_dim", latent_dim)
    image_shape = _check_image_shape(image_shape)
    stack = [keras.Input((latent_dim,), name="z")]
    for i, units in enumerate(hidden_units, start=1):
        stack += [layers.Dense(_check_positive("hidden_units", units), name=f"dense_{i}"),
                  _leaky(alpha, f"leaky_{i}")]
    stack += [layers.Dense(int(np.prod(image_shape)), activation="tanh", name="pixels"),
              layers.Reshape(image_shape, name="image")]
    return keras.Sequential(stack, name=name)


def build_mlp_discriminator(image_shape=IMAGE_SHAPE, hidden_units=(1024, 512, 256), *, dropout: float = 0.3,
                            alpha: float = 0.2, name: str = "mlp_discriminator"):
    """Week 4's discriminator, the generator mirrored: image -> flatten -> Dense(1024) ->
    Dense(512) -> Dense(256), each with LeakyReLU and dropout, -> one logit."""
    image_shape = _check_image_shape(image_shape)
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout should be in [0, 1), got {dropout}")
    stack = [keras.Input(image_shape, name="image"), layers.Flatten(name="flatten")]
    for i, units in enumerate(hidden_units, start=1):
        stack += [layers.Dense(_check_positive("hidden_units", units), name=f"dense_{i}"),
                  _leaky(alpha, f"leaky_{i}"), layers.Dropout(dropout, name=f"dropout_{i}")]
    stack.append(layers.Dense(1, name="logit"))
    return keras.Sequential(stack, name=name)


def _upsampling_layers(filters, image_shape, kernel_size, prefix=""):
    """Dense -> (side, side, filters[0]) then one stride-2 transposed conv per further entry
    and a last one to the image channels, with batch norm and ReLU between (DCGAN)."""
    h, w, channels = image_shape
    steps = len(filters)
    if h % 2 ** steps or w % 2 ** steps:
        raise ValueError(f"a {h}x{w} image cannot be reached by {steps} doublings: "
                         f"use {'fewer' if steps > 1 else 'other'} filters")
    h0, w0 = h // 2 ** steps, w // 2 ** steps
    out = [layers.Dense(h0 * w0 * filters[0], use_bias=False, name=f"{prefix}project"),
           layers.BatchNormalization(name=f"{prefix}project_bn"), layers.ReLU(name=f"{prefix}project_relu"),
           layers.Reshape((h0, w0, filters[0]), name=f"{prefix}reshape")]
    for i, f in enumerate(filters[1:], start=1):
        # kernel divisible by the stride: every output pixel gets the same number of kernel copies
        out += [layers.Conv2DTranspose(f, kernel_size, strides=2, padding="same", use_bias=False,
                                       name=f"{prefix}up{i}"),
                layers.BatchNormalization(name=f"{prefix}up{i}_bn"), layers.ReLU(name=f"{prefix}up{i}_relu")]
    out.append(layers.Conv2DTranspose(channels, kernel_size, strides=2, padding="same", activation="tanh",
                                      name=f"{prefix}image"))
    return out


def _downsampling_layers(filters, kernel_size, alpha, dropout, prefix=""):
    """One stride-2 convolution per entry; batch norm on all but the first (as in DCGAN)."""
    out = []
    for i, f in enumerate(filters, start=1):
        # no bias: batch norm follows, or (first layer) TensorFlow's graph optimiser fails to fuse
        # bias + LeakyReLU in the gradient and logs a scary, harmless error on every run
        out.append(layers.Conv2D(f, kernel_size, strides=2, padding="same", use_bias=False,
                                 name=f"{prefix}conv{i}"))
        if i > 1:
            out.append(layers.BatchNormalization(name=f"{prefix}conv{i}_bn"))
        out.append(_leaky(alpha, f"{prefix}conv{i}_leaky"))
        if dropout:
            out.append(layers.Dropout(dropout, name=f"{prefix}conv{i}_dropout"))
    return out


def build_dcgan_generator(latent_dim: int = 100, filters=(128, 64), *, image_shape=IMAGE_SHAPE,
                          kernel_size: int = 4, name: str = "dcgan_generator"):
    """Week 6's generator: z -> Dense -> 7x7x128 -> transposed conv (stride 2) -> 14x14x64 ->
    transposed conv (stride 2, tanh) -> 28x28x1, with batch norm and ReLU in between.

    ``filters[0]`` is the channel count after the first projection; each further entry
    adds one doubling of the image side.
    """
    latent_dim = _check_positive("latent_dim", latent_dim)
    filters = _check_filters(filters)
    image_shape = _check_image_shape(image_shape)
    return keras.Sequential([keras.Input((latent_dim,), name="z"),
                             *_upsampling_layers(filters, image_shape, kernel_size)], name=name)


class MinibatchStdDev(layers.Layer):
    """Adds one channel: the standard deviation of each feature across the batch, averaged.

    A discriminator that sees this number can tell a batch of near-identical fakes
    (std close to 0) from a varied batch of real images, which pushes the generator
    away from mode collapse (Karras et al., 2018).
    """

    def call(self, x):
        std = ops.sqrt(ops.var(x, axis=0) + 1e-8)       # (H, W, C): spread across the batch
        mean_std = ops.mean(std)                         # one number for the batch
        extra = ops.ones_like(x[..., :1]) * mean_std
        return ops.concatenate([x, extra], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + 1,)


def build_dcgan_discriminator(image_shape=IMAGE_SHAPE, filters=(64, 128), *, kernel_size: int = 4,
                              alpha: float = 0.2, dropout: float = 0.0, minibatch_std: bool = False,
                              name: str = "dcgan_discriminator"):
    """Week 6's discriminator: stride-2 convolutions (28 -> 14 -> 7) with batch norm and
    LeakyReLU, then one logit. ``minibatch_std=True`` adds a ``MinibatchStdDev`` channel
    before the last convolution, a cure for mode collapse."""
    image_shape = _check_image_shape(image_shape)
    filters = _check_filters(filters)
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout should be in [0, 1), got {dropout}")
    convs = _downsampling_layers(filters, kernel_size, alpha, dropout)
    if minibatch_std:
        last_conv = next(i for i, layer in enumerate(convs) if layer.name == f"conv{len(filters)}")
        convs.insert(last_conv, MinibatchStdDev(name="minibatch_std"))
    return keras.Sequential([keras.Input(image_shape, name="image"), *convs,
                             layers.Flatten(name="flatten"), layers.Dense(1, name="logit")], name=name)


def build_conditional_generator(latent_dim: int, cond_dim: int, *, cond_proj_dim: int = 64, filters=(128, 64),
                                image_shape=IMAGE_SHAPE, kernel_size: int = 4, alpha: float = 0.2,
                                name: str = "conditional_generator"):
    """A DCGAN generator steered by a condition vector of any size.

    Inputs ``[z (batch, latent_dim), cond (batch, cond_dim)]``; output a
    ``image_shape`` image in [-1, 1]. The condition (a one-hot class, a sentence
    embedding, ...) goes through a learned Dense projection to ``cond_proj_dim``
    numbers, which are concatenated with z.
    """
    latent_dim = _check_positive("latent_dim", latent_dim)
    cond_dim = _check_positive("cond_dim", cond_dim)
    cond_proj_dim = _check_positive("cond_proj_dim", cond_proj_dim)
    filters = _check_filters(filters)
    image_shape = _check_image_shape(image_shape)
    z = keras.Input((latent_dim,), name="z")
    cond = keras.Input((cond_dim,), name="cond")
    proj = _leaky(alpha, "cond_leaky")(layers.Dense(cond_proj_dim, name="cond_projection")(cond))
    h = layers.Concatenate(name="z_and_cond")([z, proj])
    for layer in _upsampling_layers(filters, image_shape, kernel_size):
        h = layer(h)
    return keras.Model([z, cond], h, name=name)


def build_conditional_discriminator(cond_dim: int, *, image_shape=IMAGE_SHAPE, cond_proj_dim: int = 64,
                                    filters=(64, 128), kernel_size: int = 4, alpha: float = 0.2,
                                    dropout: float = 0.0, name: str = "conditional_discriminator"):
    """A DCGAN discriminator that judges (image, condition) pairs, GAN-CLS style.

    Inputs ``[image, cond (batch, cond_dim)]``; output one logit, high for a real
    image *with its own condition*. The condition is projected by a learned Dense
    layer, tiled over the image feature map (7x7 for digits) and concatenated with
    it, so a 1x1 convolution can compare image and condition at every position.
    """
    cond_dim = _check_positive("cond_dim", cond_dim)
    cond_proj_dim = _check_positive("cond_proj_dim", cond_proj_dim)
    image_shape = _check_image_shape(image_shape)
    filters = _check_filters(filters)
    image = keras.Input(image_shape, name="image")
    cond = keras.Input((cond_dim,), name="cond")
    h = image
    for layer in _downsampling_layers(filters, kernel_size, alpha, dropout):
        h = layer(h)
    fh, fw = int(h.shape[1]), int(h.shape[2])
    proj = _leaky(alpha, "cond_leaky")(layers.Dense(cond_proj_dim, name="cond_projection")(cond))
    tiled = layers.UpSampling2D((fh, fw), name="cond_tiled")(layers.Reshape((1, 1, cond_proj_dim))(proj))
    h = layers.Concatenate(name="image_and_cond")([h, tiled])
    h = _leaky(alpha, "joint_leaky")(layers.Conv2D(filters[-1], 1, use_bias=False, name="joint_conv")(h))
    logit = layers.Dense(1, name="logit")(layers.Flatten(name="flatten")(h))
    return keras.Model([image, cond], logit, name=name)


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


# Quick: a smaller network, 8 epochs on 4,000 digits (CI, grading, a laptop CPU). Full: the real run.
DCGAN_PRESETS = {
    "quick": DCGANConfig(g_filters=(64, 32), d_filters=(32, 64), num_epochs=8, train_subset=4000),
    "full": DCGANConfig(),
}


def build_dcgan(config: DCGANConfig | None = None):
    """G, D and a compiled ``GAN`` from a ``DCGANConfig``, built in the current strategy's scope."""
    import tensorflow as tf

    config = config or DCGANConfig.for_mode()
    with tf.distribute.get_strategy().scope():
        g = build_dcgan_generator(config.latent_dim, config.g_filters)
        d = build_dcgan_discriminator(filters=config.d_filters, minibatch_std=config.minibatch_std,
                                      dropout=config.d_dropout)
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
