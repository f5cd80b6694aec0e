"""The players: generators and discriminators of the MLP GAN (Week 4), the DCGAN (Week 6) and the
conditional DCGAN that the final project trains on caption vectors.

Generators map noise (and, for the conditional ones, a condition vector) to images in
[-1, 1] (tanh); discriminators map images (and a condition) to one logit.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from course_lib.data import IMAGE_SHAPE


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


def _projection_layers(filters, image_shape):
    """Dense -> a (side, side, filters[0]) map, side = the image side halved once per entry of ``filters``;
    batch norm and ReLU as in DCGAN."""
    h, w, _ = image_shape
    steps = len(filters)
    if h % 2 ** steps or w % 2 ** steps:
        raise ValueError(f"a {h}x{w} image cannot be reached by {steps} doublings: "
                         f"use {'fewer' if steps > 1 else 'other'} filters")
    h0, w0 = h // 2 ** steps, w // 2 ** steps
    return [layers.Dense(h0 * w0 * filters[0], use_bias=False, name="project"),
            layers.BatchNormalization(name="project_bn"), layers.ReLU(name="project_relu"),
            layers.Reshape((h0, w0, filters[0]), name="reshape")]


def _upsampling_layers(filters, image_shape, kernel_size, refine=False):
    """From the projected map to the image: one stride-2 transposed conv per further entry of ``filters``
    and a last one to the image channels (tanh), with batch norm and ReLU between (DCGAN).
    ``refine`` adds a stride-1 transposed conv at the smallest side, before any upsampling."""
    out = []
    if refine:  # more capacity where the digit's overall shape is decided, at no upsampling cost
        out += [layers.Conv2DTranspose(filters[0], kernel_size, padding="same", use_bias=False,
                                       name="refine"),
                layers.BatchNormalization(name="refine_bn"), layers.ReLU(name="refine_relu")]
    for i, f in enumerate(filters[1:], start=1):
        # kernel divisible by the stride: every output pixel gets the same number of kernel copies
        out += [layers.Conv2DTranspose(f, kernel_size, strides=2, padding="same", use_bias=False,
                                       name=f"up{i}"),
                layers.BatchNormalization(name=f"up{i}_bn"), layers.ReLU(name=f"up{i}_relu")]
    # float32 even under mixed precision, so the image is exactly in [-1, 1]
    out.append(layers.Conv2DTranspose(image_shape[-1], kernel_size, strides=2, padding="same", activation="tanh",
                                      dtype="float32", name="image"))
    return out


def _downsampling_layers(filters, kernel_size, alpha, dropout):
    """One stride-2 convolution per entry; batch norm on all but the first (as in DCGAN)."""
    out = []
    for i, f in enumerate(filters, start=1):
        # no bias: batch norm follows, or (first layer) TensorFlow's graph optimiser fails to fuse
        # bias + LeakyReLU in the gradient and logs a scary, harmless error on every run
        out.append(layers.Conv2D(f, kernel_size, strides=2, padding="same", use_bias=False,
                                 name=f"conv{i}"))
        if i > 1:
            out.append(layers.BatchNormalization(name=f"conv{i}_bn"))
        out.append(_leaky(alpha, f"conv{i}_leaky"))
        if dropout:
            out.append(layers.Dropout(dropout, name=f"conv{i}_dropout"))
    return out


def build_dcgan_generator(latent_dim: int = 100, filters=(128, 64), *, image_shape=IMAGE_SHAPE,
                          kernel_size: int = 4, refine: bool = False, name: str = "dcgan_generator"):
    """Week 6's generator: z -> Dense -> 7x7x128 -> transposed conv (stride 2) -> 14x14x64 ->
    transposed conv (stride 2, tanh) -> 28x28x1, with batch norm and ReLU in between.

    ``filters[0]`` is the channel count after the first projection; each further entry
    adds one doubling of the image side. ``refine=True`` adds a stride-1 transposed
    convolution at 7x7 (the full preset uses it).
    """
    latent_dim = _check_positive("latent_dim", latent_dim)
    filters = _check_filters(filters)
    image_shape = _check_image_shape(image_shape)
    return keras.Sequential([keras.Input((latent_dim,), name="z"), *_projection_layers(filters, image_shape),
                             *_upsampling_layers(filters, image_shape, kernel_size, refine=refine)], name=name)


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
                              dense_units: int = 0, name: str = "dcgan_discriminator"):
    """Week 6's discriminator: stride-2 convolutions (28 -> 14 -> 7) with batch norm and
    LeakyReLU, then one logit. ``minibatch_std=True`` adds a ``MinibatchStdDev`` channel
    before the last convolution, a cure for mode collapse. ``dense_units`` > 0 adds a
    hidden Dense layer (LeakyReLU) before the logit (the full preset uses 512)."""
    image_shape = _check_image_shape(image_shape)
    filters = _check_filters(filters)
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout should be in [0, 1), got {dropout}")
    if dense_units < 0:
        raise ValueError(f"dense_units should be 0 (none) or positive, got {dense_units}")
    convs = _downsampling_layers(filters, kernel_size, alpha, dropout)
    if minibatch_std:
        last_conv = next(i for i, layer in enumerate(convs) if layer.name == f"conv{len(filters)}")
        convs.insert(last_conv, MinibatchStdDev(name="minibatch_std"))
    hidden = [layers.Dense(dense_units, name="hidden"), _leaky(alpha, "hidden_leaky")] if dense_units else []
    return keras.Sequential([keras.Input(image_shape, name="image"), *convs, layers.Flatten(name="flatten"),
                             *hidden, layers.Dense(1, name="logit")], name=name)


def _condition_projection(cond, units, alpha):
    """A learned Dense projection of the condition, with LeakyReLU."""
    return _leaky(alpha, "cond_leaky")(layers.Dense(units, name="cond_projection")(cond))


def build_conditional_generator(latent_dim: int, cond_dim: int, *, cond_proj_dim: int = 64, filters=(128, 64),
                                image_shape=IMAGE_SHAPE, kernel_size: int = 4, alpha: float = 0.2,
                                name: str = "conditional_generator"):
    """A DCGAN generator steered by a condition vector of any size (a one-hot class, a caption vector).

    Inputs ``[z (batch, latent_dim), cond (batch, cond_dim)]``; output an ``image_shape``
    image in [-1, 1]. The condition goes through a learned Dense projection to
    ``cond_proj_dim`` numbers, which are joined to z and also tiled over the first feature
    map (7x7 for digits), so every upsampling step sees the condition.
    """
    latent_dim = _check_positive("latent_dim", latent_dim)
    cond_dim = _check_positive("cond_dim", cond_dim)
    cond_proj_dim = _check_positive("cond_proj_dim", cond_proj_dim)
    filters = _check_filters(filters)
    image_shape = _check_image_shape(image_shape)
    z = keras.Input((latent_dim,), name="z")
    cond = keras.Input((cond_dim,), name="cond")
    proj = _condition_projection(cond, cond_proj_dim, alpha)
    h = layers.Concatenate(name="z_and_cond")([z, proj])
    for layer in _projection_layers(filters, image_shape):
        h = layer(h)
    tiled = layers.UpSampling2D((int(h.shape[1]), int(h.shape[2])), name="cond_tiled")(
        layers.Reshape((1, 1, cond_proj_dim), name="cond_pixel")(proj))
    h = layers.Concatenate(name="map_and_cond")([h, tiled])
    for layer in _upsampling_layers(filters, image_shape, kernel_size):
        h = layer(h)
    return keras.Model([z, cond], h, name=name)


def build_conditional_discriminator(cond_dim: int, *, image_shape=IMAGE_SHAPE, filters=(64, 128),
                                    features: int = 256, cond_hidden: int = 128, kernel_size: int = 4,
                                    alpha: float = 0.2, dropout: float = 0.0,
                                    name: str = "conditional_discriminator"):
    """A DCGAN discriminator that judges (image, condition) pairs: a projection discriminator.

    Inputs ``[image, cond (batch, cond_dim)]``; output one logit, high for a real image
    *with its own condition*. The image goes through DCGAN's strided convolutions to
    ``features`` numbers phi(image), the condition through two Dense layers to psi(cond)
    of the same size, and the logit is an image term plus <phi(image), psi(cond)>, so
    whether image and condition agree is part of the architecture (Miyato & Koyama, 2018).
    """
    cond_dim = _check_positive("cond_dim", cond_dim)
    features = _check_positive("features", features)
    cond_hidden = _check_positive("cond_hidden", cond_hidden)
    image_shape = _check_image_shape(image_shape)
    filters = _check_filters(filters)
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout should be in [0, 1), got {dropout}")
    image = keras.Input(image_shape, name="image")
    cond = keras.Input((cond_dim,), name="cond")
    h = image
    for layer in [*_downsampling_layers(filters, kernel_size, alpha, dropout), layers.Flatten(name="flatten")]:
        h = layer(h)
    phi = _leaky(alpha, "features_leaky")(layers.Dense(features, name="features")(h))
    psi = layers.Dense(features, name="cond_features")(_condition_projection(cond, cond_hidden, alpha))
    logit = layers.Add(name="image_and_match")([layers.Dense(1, name="image_term")(phi),
                                                layers.Dot(axes=1, name="match_term")([phi, psi])])
    logit = layers.Activation("linear", dtype="float32", name="logit")(logit)  # float32 under mixed precision
    return keras.Model([image, cond], logit, name=name)

