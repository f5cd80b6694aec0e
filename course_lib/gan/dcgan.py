"""Week 6's DCGAN: its configuration with the quick and full presets, and the compiled ``GAN``."""
from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from course_lib._presets import Presets
from course_lib.data import to_tanh_range
from course_lib.gan.model import GAN
from course_lib.gan.networks import build_dcgan_discriminator, build_dcgan_generator


@dataclass(frozen=True)
class DCGANConfig(Presets):
    """The Week 6 DCGAN's architecture and training settings; ``DCGANConfig.preset("quick")`` etc."""

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


# Quick: a smaller network, 8 epochs on 4,000 digits (CI, grading, a laptop CPU). Full: the real run,
# with the changes that measurably helped on the bundled digits (bench/bench_dcgan.py, week6 README):
# 5x5 kernels as in Radford et al., a 7x7 refine block in G, a hidden Dense layer in D, batch size 32.
DCGANConfig.presets = {
    "quick": DCGANConfig(g_filters=(64, 32), d_filters=(32, 64), num_epochs=8, train_subset=4000),
    "full": DCGANConfig(kernel_size=5, g_refine=True, d_dense=512, batch_size=32, num_epochs=120),
}


def build_dcgan(config: DCGANConfig | None = None) -> GAN:
    """G, D and a compiled ``GAN`` from a ``DCGANConfig``, built in the current strategy's scope."""
    import tensorflow as tf

    config = config or DCGANConfig.preset()
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
    """[0, 1] images as loaded -> the GAN's [-1, 1] training set, subsampled to ``config.train_subset``."""
    subset = config.train_subset if config is not None else None
    x = np.asarray(images, dtype=np.float32)
    if subset is not None and subset < len(x):
        x = x[np.random.default_rng(seed).choice(len(x), subset, replace=False)]
    return to_tanh_range(x)
